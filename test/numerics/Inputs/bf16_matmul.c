/* Runs the compiled bf16 matmul of bf16-matmul.mlir (C = A B, A 64 x 96,
 * B 96 x 128, bf16, C f32) on random bf16 values and compares it with the
 * product of the same values in float64. Each product of two bf16 is exact
 * in f32, so the only error is f32 accumulation: at most K ulp of the sum
 * of |products|. Prints the largest error relative to that bound; exits 1
 * beyond it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M = 64, N = 128, K = 96 };

void gpt3_entry_kernel(void **args);

static unsigned short bf16Bits(float f) {
  unsigned bits;
  memcpy(&bits, &f, 4);
  return (unsigned short)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

static double bf16Value(unsigned short h) {
  unsigned bits = (unsigned)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

int main(void) {
  static unsigned short a[M * K], b[K * N];
  static float c[M * N];
  static char scratch[1 << 20] __attribute__((aligned(64)));
  unsigned seed = 7;
  for (int i = 0; i < M * K + K * N; ++i) {
    seed = seed * 1664525u + 1013904223u;
    float v = (float)(seed >> 8) / (float)(1u << 24) * 4.0f - 2.0f;
    if (i < M * K)
      a[i] = bf16Bits(v);
    else
      b[i - M * K] = bf16Bits(v);
  }
  void *args[] = {a, b, c, scratch};
  gpt3_entry_kernel(args);
  double worst = 0;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double sum = 0, magnitude = 0;
      for (int k = 0; k < K; ++k) {
        double p = bf16Value(a[i * K + k]) * bf16Value(b[k * N + j]);
        sum += p;
        magnitude += fabs(p);
      }
      double bound = K * ldexp(magnitude, -24);
      worst = fmax(worst, fabs(c[i * N + j] - sum) / bound);
    }
  printf("bf16 matmul 64x128x96: max error %.3f of the f32 accumulation bound\n",
         worst);
  return worst <= 1.0 ? 0 : 1;
}
