// CRC32C in C because Swift has no portable access to the CRC32 instructions, and the
// log scan at open time is dominated by checksum speed (table CRC is ~2.5x slower, see
// shared/anchors/store/MEASUREMENTS.md).
#include "ccrc32c.h"
#include <string.h>

static uint32_t table[8][256];
static int table_ready = 0;

static void build_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) {
            crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = table[0][n];
        for (int k = 1; k < 8; k++) {
            crc = table[0][crc & 0xFF] ^ (crc >> 8);
            table[k][n] = crc;
        }
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t ccrc32c_extend_portable(uint32_t crc, const void *data, size_t length) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) {
        build_table();
    }
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        uint32_t lo = (uint32_t)word ^ crc;
        uint32_t hi = (uint32_t)(word >> 32);
        crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^
              table[4][lo >> 24] ^ table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^
              table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        p += 8;
        length -= 8;
    }
    while (length--) {
        crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    }
    return ~crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t c = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        length -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (length--) {
        c32 = _mm_crc32_u8(c32, *p++);
    }
    return ~c32;
}

int ccrc32c_hardware_available(void) { return __builtin_cpu_supports("sse4.2"); }

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>

static uint32_t crc32c_hw(uint32_t crc, const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __crc32cd(c, word);
        p += 8;
        length -= 8;
    }
    while (length--) {
        c = __crc32cb(c, *p++);
    }
    return ~c;
}

int ccrc32c_hardware_available(void) { return 1; }

#else
static uint32_t crc32c_hw(uint32_t crc, const void *data, size_t length) {
    return ccrc32c_extend_portable(crc, data, length);
}

int ccrc32c_hardware_available(void) { return 0; }
#endif

uint32_t ccrc32c_extend(uint32_t crc, const void *data, size_t length) {
    static int hardware = -1;
    int use = __atomic_load_n(&hardware, __ATOMIC_RELAXED);
    if (use < 0) {
        use = ccrc32c_hardware_available();
        __atomic_store_n(&hardware, use, __ATOMIC_RELAXED);
    }
    return use ? crc32c_hw(crc, data, length) : ccrc32c_extend_portable(crc, data, length);
}
