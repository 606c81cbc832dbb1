/* Dense switch statements (jump tables), sparse switches, and a tiny bytecode
 * interpreter driven by a switch. */
#include <stdio.h>

static int dense(int x)
{
    switch (x) {
    case 0: return 17;  case 1: return 3;   case 2: return 99;  case 3: return -4;
    case 4: return 12;  case 5: return 7;   case 6: return 1000; case 7: return 8;
    case 8: return 55;  case 9: return -19; case 10: return 31; case 11: return 2;
    case 12: return 64; case 13: return 0;  case 14: return 77; case 15: return 5;
    case 16: return 6;  case 17: return 90; case 18: return -1; case 19: return 41;
    case 20: return 23; case 21: return 29; case 22: return 37; case 23: return 43;
    case 24: return 47; case 25: return 53; case 26: return 59; case 27: return 61;
    case 28: return 67; case 29: return 71; case 30: return 73; case 31: return 79;
    default: return -100;
    }
}

static const char *sparse(long x)
{
    switch (x) {
    case -1000000: return "minus-million";
    case -7: return "minus-seven";
    case 0: return "zero";
    case 13: return "thirteen";
    case 256: return "256";
    case 4096: return "page";
    case 65536: return "64k";
    case 1L << 33: return "8G";
    case 123456789: return "digits";
    default: return "other";
    }
}

enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, DEC, PRINT, HALT, OVER, DROP, MOD, NEG };

static long run(const long *code)
{
    long stack[64];
    int sp = 0;
    long steps = 0;
    for (int pc = 0;; steps++) {
        switch (code[pc++]) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case NEG: stack[sp - 1] = -stack[sp - 1]; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OVER: stack[sp] = stack[sp - 2]; sp++; break;
        case DROP: sp--; break;
        case SWAP: { long t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case DEC: stack[sp - 1]--; break;
        case JNZ: { long target = code[pc++]; if (stack[--sp]) pc = (int)target; break; }
        case PRINT: printf("vm: %ld\n", stack[sp - 1]); break;
        case HALT: printf("vm steps %ld\n", steps); return stack[sp - 1];
        default: printf("bad op\n"); return -1;
        }
    }
}

int main(void)
{
    unsigned long s = 0;
    for (int i = -3; i < 36; i++) {
        int v = dense(i);
        s = s * 7 + v;
        printf("dense(%d)=%d%c", i, v, i % 8 == 7 ? '\n' : ' ');
    }
    printf("\n");
    long keys[] = {-1000000, -7, 0, 1, 13, 256, 4096, 65536, 1L << 33, 123456789, 99};
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
        printf("sparse(%ld)=%s\n", keys[i], sparse(keys[i]));
    /* compute: acc = 1; n = 20; loop: acc = (acc * 3 + n) % 1000003; n--; while n */
    long prog[] = {PUSH, 1, PUSH, 20000,
                   /* 4: */ SWAP, PUSH, 3, MUL, OVER, ADD, PUSH, 1000003, MOD, SWAP, DEC, DUP, JNZ, 4,
                   DROP, PRINT, HALT};
    long r = run(prog);
    char counts[8] = {0};
    for (int i = 0; i < 100000; i++) {
        switch ((i * 2654435761u) >> 29) {
        case 0: counts[0]++; break; case 1: counts[1]++; break; case 2: counts[2]++; break;
        case 3: counts[3]++; break; case 4: counts[4]++; break; case 5: counts[5]++; break;
        case 6: counts[6]++; break; case 7: counts[7]++; break;
        }
    }
    for (int i = 0; i < 8; i++) printf("bucket %d: %d\n", i, counts[i]);
    printf("s=%lu r=%ld\n", s, r);
    return (int)((s ^ r) & 0x7f);
}
