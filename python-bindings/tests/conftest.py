try:
    import qopt  # noqa: F401  (the installed package, not python-bindings/qopt)
except ImportError as e:
    raise ImportError(f"the qopt package is not installed ({e}): run "
                      "`bash scripts/install-python.sh` after the build") from e
