/* printf-style formatting for the firmware (fwlib.h fw_vformat): no floating point. */
#include "fwlib.h"

struct sink {
    fw_out_t out;
    void *arg;
    int n;
};

static void put(struct sink *k, int c)
{
    k->out(k->arg, c);
    k->n++;
}

static void pad(struct sink *k, int c, int n)
{
    while (n-- > 0)
        put(k, c);
}

int fw_vformat(fw_out_t out, void *arg, const char *fmt, va_list ap)
{
    struct sink k = { out, arg, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&k, *fmt);
            continue;
        }
        int left = 0, zero = 0, plus = 0, space = 0, alt = 0, width = 0, prec = -1, lng = 0;
        for (;; fmt++) {
            char f = fmt[1];
            if (f == '-') left = 1;
            else if (f == '0') zero = 1;
            else if (f == '+') plus = 1;
            else if (f == ' ') space = 1;
            else if (f == '#') alt = 1;
            else break;
        }
        fmt++;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = 1;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        while (*fmt == 'l' || *fmt == 'z' || *fmt == 'h') {
            if (*fmt != 'h')
                lng = 1;
            fmt++;
        }
        char c = *fmt;
        if (!c)
            break;
        if (c == '%') {
            put(&k, '%');
            continue;
        }
        if (c == 'c') {
            pad(&k, ' ', left ? 0 : width - 1);
            put(&k, (char)va_arg(ap, int));
            pad(&k, ' ', left ? width - 1 : 0);
            continue;
        }
        if (c == 's') {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int n = (int)(prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
            pad(&k, ' ', left ? 0 : width - n);
            for (int i = 0; i < n; i++)
                put(&k, s[i]);
            pad(&k, ' ', left ? width - n : 0);
            continue;
        }
        unsigned base = 10;
        int neg = 0, upper = 0;
        uint64_t v;
        if (c == 'd' || c == 'i') {
            int64_t sv = lng ? va_arg(ap, long) : va_arg(ap, int);
            neg = sv < 0;
            v = neg ? -(uint64_t)sv : (uint64_t)sv;
        } else if (c == 'u' || c == 'x' || c == 'X' || c == 'o') {
            v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            base = c == 'o' ? 8 : (c == 'u' ? 10 : 16);
            upper = c == 'X';
        } else if (c == 'p') {
            v = (uint64_t)(uintptr_t)va_arg(ap, void *);
            base = 16;
            put(&k, '0');
            put(&k, 'x');
            width -= 2;
        } else {
            put(&k, '%');
            put(&k, c);
            continue;
        }
        char digits[24];
        int nd = 0;
        do {
            unsigned d = (unsigned)(v % base);
            digits[nd++] = (char)(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
            v /= base;
        } while (v);
        if (prec == 0 && nd == 1 && digits[0] == '0')
            nd = 0;
        int zeros = prec > nd ? prec - nd : 0;
        int sign = neg || plus || space;
        int prefix = alt && base == 16 ? 2 : 0;
        if (alt && base == 8 && zeros == 0 && (nd == 0 || digits[nd - 1] != '0'))
            zeros = 1;
        int len = nd + zeros + sign + prefix;
        if (zero && !left && prec < 0 && width > len) {
            zeros += width - len;
            len = width;
        }
        pad(&k, ' ', left ? 0 : width - len);
        if (sign)
            put(&k, neg ? '-' : (plus ? '+' : ' '));
        if (prefix) {
            put(&k, '0');
            put(&k, upper ? 'X' : 'x');
        }
        pad(&k, '0', zeros);
        while (nd)
            put(&k, digits[--nd]);
        pad(&k, ' ', left ? width - len : 0);
    }
    return k.n;
}

struct strbuf {
    char *p;
    size_t left;
};

static void to_buf(void *arg, int c)
{
    struct strbuf *b = arg;
    if (b->left > 1) {
        *b->p++ = (char)c;
        b->left--;
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct strbuf b = { buf, size };
    int n = fw_vformat(to_buf, &b, fmt, ap);
    if (size)
        *b.p = 0;
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
