// RUN: qopt-opt %s -split-input-file -verify-diagnostics

// Every rejection of the ODS constraints and of the verifiers.

func.func @cast_int_operand(%x: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float values, but got 'tensor<4xi32>'}}
  %0 = qopt.cast %x : tensor<4xi32> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @cast_int_result(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{result #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float values, but got 'tensor<4xi8>'}}
  %0 = qopt.cast %x : tensor<4xf32> to tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @cast_f64(%x: tensor<4xf64>) -> tensor<4xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float values, but got 'tensor<4xf64>'}}
  %0 = qopt.cast %x : tensor<4xf64> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @cast_shape_mismatch(%x: tensor<4xf32>) -> tensor<5xbf16> {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = qopt.cast %x : tensor<4xf32> to tensor<5xbf16>
  return %0 : tensor<5xbf16>
}

// -----

func.func @cast_rank_mismatch(%x: tensor<4xf32>) -> tensor<4x1xbf16> {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = qopt.cast %x : tensor<4xf32> to tensor<4x1xbf16>
  return %0 : tensor<4x1xbf16>
}

// -----

func.func @cast_encoding(%x: tensor<4xf32, "a">) -> tensor<4xbf16> {
  // expected-error @+1 {{operand and result encodings differ}}
  %0 = qopt.cast %x : tensor<4xf32, "a"> to tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

func.func @cast_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %0 = qopt.cast %x : tensor<*xf32> to tensor<*xbf16>
  return
}

// -----

func.func @quantize_expressed_mismatch(%x: tensor<4xf16>) {
  // expected-error @+1 {{quantized expressed type 'f32' differs from the float type 'f16'}}
  %0 = qopt.quantize %x : tensor<4xf16> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @quantize_to_int(%x: tensor<4xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of quantized type values, but got 'tensor<4xi8>'}}
  %0 = qopt.quantize %x : tensor<4xf32> to tensor<4xi8>
  return
}

// -----

func.func @quantize_int_operand(%x: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float values, but got 'tensor<4xi32>'}}
  %0 = qopt.quantize %x : tensor<4xi32> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @quantize_shape_mismatch(%x: tensor<4xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = qopt.quantize %x : tensor<4xf32> to tensor<2x2x!quant.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @per_axis_dim_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{quantized dimension 2 is out of range for rank 2}}
  %0 = qopt.quantize %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32:2, {0.5, 0.25, 1.0}>>
  return
}

// -----

func.func @per_axis_size_mismatch(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{quantized dimension 0 has size 2 but the type has 3 scales}}
  %0 = qopt.quantize %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32:0, {0.5, 0.25, 1.0}>>
  return
}

// -----

func.func @per_axis_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{quantized dimension 0 is out of range for rank 0}}
  %0 = qopt.quantize %x : tensor<f32> to tensor<!quant.uniform<i8:f32:0, {0.5}>>
  return
}

// -----

func.func @dequantize_wrong_float(%q: tensor<4x!quant.uniform<i8:f32, 0.5>>) {
  // expected-error @+1 {{quantized expressed type 'f32' differs from the float type 'bf16'}}
  %0 = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5>> to tensor<4xbf16>
  return
}

// -----

func.func @dequantize_per_axis_size_mismatch(%q: tensor<2x3x!quant.uniform<u8:f16:1, {0.5, 0.25}>>) {
  // expected-error @+1 {{quantized dimension 1 has size 3 but the type has 2 scales}}
  %0 = qopt.dequantize %q : tensor<2x3x!quant.uniform<u8:f16:1, {0.5, 0.25}>> to tensor<2x3xf16>
  return
}

// -----

func.func @dequantize_shape_mismatch(%q: tensor<4x!quant.uniform<i8:f32, 0.5>>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = qopt.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5>> to tensor<3xf32>
  return
}

// -----

func.func @dequantize_from_float(%x: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of quantized type values, but got 'tensor<4xf32>'}}
  %0 = qopt.dequantize %x : tensor<4xf32> to tensor<4xf32>
  return
}

// -----

func.func @quantize_any(%x: tensor<4xf32>) {
  // expected-error @+1 {{expects a per-tensor or per-axis !quant.uniform element type, got '!quant.any<i8:f32>'}}
  %0 = qopt.quantize %x : tensor<4xf32> to tensor<4x!quant.any<i8:f32>>
  return
}

// -----

func.func @dequantize_any(%q: tensor<4x!quant.any<i8:f32>>) {
  // expected-error @+1 {{expects a per-tensor or per-axis !quant.uniform element type, got '!quant.any<i8:f32>'}}
  %0 = qopt.dequantize %q : tensor<4x!quant.any<i8:f32>> to tensor<4xf32>
  return
}

// -----

func.func @quantize_sub_channel(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{expects a per-tensor or per-axis !quant.uniform element type, got '!quant.uniform<i8:f32:{0:1, 1:2}, }}
  %0 = qopt.quantize %x : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i8:f32:{0:1, 1:2}, {{2.0:10, 3.0:20}}>>
  return
}

// -----

func.func @nbits_format(%x: tensor<2x64xf32>, %w: tensor<8x2x16xi8>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{format must be symmetric, asymmetric or nf4, got 'int3'}}
  %0 = qopt.matmul_nbits %x, %w, %s {format = "int3", group = 32 : i64, k = 64 : i64} : (tensor<2x64xf32>, tensor<8x2x16xi8>, tensor<8x2xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @nbits_group(%x: tensor<2x64xf32>, %w: tensor<8x2x12xi8>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{group 24 is not a power of two of at least 16}}
  %0 = qopt.matmul_nbits %x, %w, %s {format = "symmetric", group = 24 : i64, k = 64 : i64} : (tensor<2x64xf32>, tensor<8x2x12xi8>, tensor<8x2xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @nbits_blocks(%x: tensor<2x64xf32>, %w: tensor<8x2x16xi8>, %s: tensor<8x3xf32>) {
  // expected-error @+1 {{scales have 3 blocks per row; k 64 in groups of 32 needs 2}}
  %0 = qopt.matmul_nbits %x, %w, %s {format = "symmetric", group = 32 : i64, k = 64 : i64} : (tensor<2x64xf32>, tensor<8x2x16xi8>, tensor<8x3xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @nbits_weights(%x: tensor<2x64xf32>, %w: tensor<8x2x32xi8>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{weights must be 8x2x16, got 'tensor<8x2x32xi8>'}}
  %0 = qopt.matmul_nbits %x, %w, %s {format = "symmetric", group = 32 : i64, k = 64 : i64} : (tensor<2x64xf32>, tensor<8x2x32xi8>, tensor<8x2xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @nbits_missing_zeros(%x: tensor<2x64xf32>, %w: tensor<8x2x16xi8>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{asymmetric format needs zero points}}
  %0 = qopt.matmul_nbits %x, %w, %s {format = "asymmetric", group = 32 : i64, k = 64 : i64} : (tensor<2x64xf32>, tensor<8x2x16xi8>, tensor<8x2xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @nbits_extra_zeros(%x: tensor<2x64xf32>, %w: tensor<8x2x16xi8>, %s: tensor<8x2xf32>, %z: tensor<8x1xi8>) {
  // expected-error @+1 {{only the asymmetric format takes zero points}}
  %0 = qopt.matmul_nbits %x, %w, %s, %z {format = "nf4", group = 32 : i64, k = 64 : i64} : (tensor<2x64xf32>, tensor<8x2x16xi8>, tensor<8x2xf32>, tensor<8x1xi8>) -> tensor<2x8xf32>
  return
}

// -----

func.func @nbits_k(%x: tensor<2x48xf32>, %w: tensor<8x2x16xi8>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{input's last dimension is 48, expected k = 64}}
  %0 = qopt.matmul_nbits %x, %w, %s {format = "symmetric", group = 32 : i64, k = 64 : i64} : (tensor<2x48xf32>, tensor<8x2x16xi8>, tensor<8x2xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @nbits_n(%x: tensor<2x64xf32>, %w: tensor<8x2x16xi8>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{result's last dimension must be N = 8}}
  %0 = qopt.matmul_nbits %x, %w, %s {format = "symmetric", group = 32 : i64, k = 64 : i64} : (tensor<2x64xf32>, tensor<8x2x16xi8>, tensor<8x2xf32>) -> tensor<2x9xf32>
  return
}
