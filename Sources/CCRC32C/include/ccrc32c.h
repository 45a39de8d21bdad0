#ifndef CCRC32C_H
#define CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC32C (Castagnoli) checksum over `length` bytes.
/// Pass 0 as `crc` to start; the result of one call is the `crc` of the next.
/// Uses the SSE4.2 / ARMv8 CRC instruction when the CPU has it, slicing-by-8 otherwise.
uint32_t ccrc32c_extend(uint32_t crc, const void *data, size_t length);

/// The same checksum computed with the portable table, whatever the CPU; for tests.
uint32_t ccrc32c_extend_portable(uint32_t crc, const void *data, size_t length);

/// 1 when `ccrc32c_extend` uses a hardware instruction on this CPU.
int ccrc32c_hardware_available(void);

#endif
