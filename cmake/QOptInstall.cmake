# Installation of qopt as a CMake package, so that passes and tools outside
# this tree build against an installed qopt:
#
#   cmake --install build --prefix /opt/qopt
#   cmake -S my-plugin -B my-plugin/build -DQOpt_DIR=/opt/qopt/lib/cmake/qopt
#
# PREFIX/bin            qopt-opt, qopt-translate, qopt-compile, qopt-run
# PREFIX/lib            the qopt libraries and libqopt_runtime.a (which
#                       qopt-compile links into every model library)
# PREFIX/include/qopt   headers, .td files and the generated .inc files
# PREFIX/lib/cmake/qopt QOptConfig.cmake, QOptTargets.cmake (namespace QOpt::),
#                       AddQOpt.cmake (qopt_add_pass_plugin)
# PREFIX/share/qopt     the example models
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(QOPT_INSTALL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/qopt)

install(TARGETS
    QOptAnalysis QOptIR QOptTransforms QOptToLinalg QOptImport QOptPipelines
    QOptCompile qopt_runtime qopt_dtype
    qopt-opt qopt-translate qopt-compile qopt-run
  EXPORT QOptTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Hand-written headers and .td files, then what the build generates beside
# them (the ODS .inc files, the runtime headers qopt-compile compiles with).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/qopt
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/qopt
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "*.inc"
  PATTERN "CMakeFiles" EXCLUDE)

install(EXPORT QOptTargets
  NAMESPACE QOpt::
  DESTINATION ${QOPT_INSTALL_CMAKE_DIR})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/QOptConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lib/cmake/qopt/QOptConfig.cmake
  INSTALL_DESTINATION ${QOPT_INSTALL_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR CMAKE_INSTALL_DATADIR)
install(FILES
    ${PROJECT_BINARY_DIR}/lib/cmake/qopt/QOptConfig.cmake
    ${PROJECT_SOURCE_DIR}/cmake/AddQOpt.cmake
  DESTINATION ${QOPT_INSTALL_CMAKE_DIR})

install(FILES ${PROJECT_SOURCE_DIR}/models/mlp.onnx
    ${PROJECT_SOURCE_DIR}/models/cnn.onnx
    ${PROJECT_SOURCE_DIR}/models/encoder.onnx
  DESTINATION ${CMAKE_INSTALL_DATADIR}/qopt/models)
install(DIRECTORY ${PROJECT_BINARY_DIR}/docs/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/qopt
  FILES_MATCHING PATTERN "*.md")
