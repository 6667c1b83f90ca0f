# lit configuration of the plugin's tests: qopt's installed tools and
# LLVM's FileCheck first on PATH, %plugin the built plugin, %models the
# installed example models.
import os

import lit.formats

config.name = "qopt-count-precision"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.plugin_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.qopt_tools_dir, config.llvm_tools_dir, config.environment["PATH"]])
config.substitutions.append(("%plugin", config.plugin))
config.substitutions.append(("%models", config.qopt_models_dir))
