/* Integer types of the guest kernel (64-bit big-endian SPARC, LP64). */
#ifndef GUEST_TYPES_H
#define GUEST_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t i64;

#define U64_MAX 0xffffffffffffffffUL
#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
