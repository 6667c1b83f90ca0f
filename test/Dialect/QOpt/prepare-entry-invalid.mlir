// RUN: qopt-opt %s --qopt-prepare-entry --split-input-file --verify-diagnostics

// expected-error @below {{qopt-prepare-entry: no function @main}}
module {
  func.func @graph(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// The library's symbol is taken.
module {
  func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
  // expected-error @below {{qopt-prepare-entry: symbol @qopt_graph already exists}}
  func.func private @qopt_graph()
}
