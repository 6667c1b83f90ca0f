//===- FloatBits.h - Fast conversions among f32, bf16 and f16 ---*- C++ -*-===//
//
// Bit-level conversions, round to nearest even, used to convert weights at
// compile time: APFloat is exact too but two orders of magnitude slower, and
// weights are billions of elements.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_SUPPORT_FLOATBITS_H
#define QOPT_SUPPORT_FLOATBITS_H

#include <cstdint>
#include <cstring>

namespace mlir::qopt {

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t f32ToBF16(float f) {
  uint32_t u = floatBits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet and a NaN
    return (uint16_t)((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1); // round to nearest even
  return (uint16_t)(u >> 16);
}

inline float bf16ToF32(uint16_t h) { return bitsFloat((uint32_t)h << 16); }

inline uint16_t f32ToF16(float f) {
  uint32_t u = floatBits(f);
  uint32_t sign = (u >> 16) & 0x8000u;
  uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) // NaN
    return (uint16_t)(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
  if (abs >= 0x477ff000u) // rounds to >= 65520: infinity
    return (uint16_t)(sign | 0x7c00u);
  if (abs < 0x38800000u) { // below the smallest normal f16: subnormal or 0
    if (abs < 0x33000000u) // below half the smallest subnormal
      return (uint16_t)sign;
    uint32_t exp = abs >> 23;
    uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - exp; // 14..24
    uint32_t rounded = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (rounded & 1)))
      ++rounded;
    return (uint16_t)(sign | rounded);
  }
  uint32_t r = abs - 0x38000000u; // rebias exponent 127 -> 15
  r += 0xfffu + ((r >> 13) & 1);
  return (uint16_t)(sign | (r >> 13));
}

inline float f16ToF32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0x1f)
    return bitsFloat(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    if (!mant)
      return bitsFloat(sign);
    float v = (float)mant * (1.0f / 16777216.0f); // mant * 2^-24
    return sign ? -v : v;
  }
  return bitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

} // namespace mlir::qopt

#endif // QOPT_SUPPORT_FLOATBITS_H
