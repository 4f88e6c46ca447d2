__version__ = "0.1.0"

# `spatialsplat.reconstruct(...)` (chapter 12b, `spatialsplat.api`). nbdev writes only the version line above and keeps the
# rest of this file; the import is lazy so that `import spatialsplat.core` does not load the whole library.
def __getattr__(name: str):
    if name == "reconstruct":
        from spatialsplat.api import reconstruct
        return reconstruct
    raise AttributeError(f"module 'spatialsplat' has no attribute {name!r}")

def __dir__(): return sorted(list(globals()) + ["reconstruct"])
