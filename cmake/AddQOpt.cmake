# qopt_add_pass_plugin(NAME SOURCE... [DEPENDS TARGET...])
#
# Builds NAME.so, a pass plugin that qopt-opt and qopt-compile load with
# --load-pass-plugin=NAME.so. It links neither MLIR nor the qopt libraries:
# the loading tool exports its symbols, so the plugin uses the tool's one
# copy of MLIR, of the qopt dialect (qopt::CastOp...) and of the pass
# registry. Its registration entry point is mlirGetPassPluginInfo
# (mlir/Tools/Plugins/PassPlugin.h). DEPENDS names targets to build first,
# such as the add_public_tablegen_target of the plugin's Passes.td.
function(qopt_add_pass_plugin name)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  add_library(${name} MODULE ${ARG_UNPARSED_ARGUMENTS})
  set_target_properties(${name} PROPERTIES PREFIX "")
  target_compile_features(${name} PRIVATE cxx_std_17)
  target_include_directories(${name} PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}
    ${QOPT_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS} ${LLVM_INCLUDE_DIRS})
  # The flags MLIR's headers were configured with.
  separate_arguments(defs NATIVE_COMMAND "${LLVM_DEFINITIONS}")
  target_compile_options(${name} PRIVATE ${defs})
  if(NOT LLVM_ENABLE_RTTI)
    target_compile_options(${name} PRIVATE -fno-rtti)
  endif()
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
endfunction()
