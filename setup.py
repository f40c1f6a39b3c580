"""Build the fastact Cython extensions from kernels/.

* ``kernels/*.pyx.tp`` are Tempita templates rendered with the kernel lists of
  ``fastact/_registry.py`` (loaded by path: the package is not importable yet) into
  ``build/generated/``; the generated sources are never committed.
* OpenMP is probed by compiling a test program.  Without it the kernels build
  serially, the build says so, and ``fastact.show_config()`` reports it.
* Portable flags by default: ``-O3 -fno-math-errno -fno-trapping-math`` (never
  ``-ffast-math``: NaN/inf must propagate).
* Runtime CPU dispatch: on x86-64 the kernel modules are built three times from the
  same sources -- ``baseline`` (SSE2), ``avx2`` (``-march=x86-64-v3``) and ``avx512``
  (``-march=x86-64-v4``) -- and ``fastact._kernels`` imports the best one the CPU runs
  (``FASTACT_SIMD`` forces one).  ``FASTACT_NATIVE=1`` instead builds a single
  ``native`` variant with ``-march=native`` for a local build.
* Cython directives are set once for every module; ``FASTACT_DEBUG_CYTHON=1`` turns
  bounds/wraparound/initialization checks back on.
"""

import importlib.util
import os
import pathlib
import platform
import sys
import tempfile

import numpy as np
from Cython.Build import cythonize
from Cython.Tempita import sub as render_template
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent
KERNELS = ROOT / "kernels"
GENERATED = ROOT / "build" / "generated"

NATIVE = os.environ.get("FASTACT_NATIVE", "0") == "1"
DEBUG = os.environ.get("FASTACT_DEBUG_CYTHON", "0") == "1"

BASE_FLAGS = ["-O3", "-fno-math-errno", "-fno-trapping-math"]

# Kernel variants: name -> extra compiler flags (kept in sync with fastact/_kernels.py).
if NATIVE:
    VARIANTS = {"native": ["-march=native"]}
elif platform.machine().lower() in ("x86_64", "amd64"):
    VARIANTS = {
        "baseline": [],
        "avx2": ["-march=x86-64-v3"],
        "avx512": ["-march=x86-64-v4", "-mprefer-vector-width=512"],
    }
else:
    VARIANTS = {"baseline": []}
if os.environ.get("FASTACT_VARIANTS"):  # e.g. "baseline": build only those (tests, quick builds)
    VARIANTS = {v: VARIANTS[v] for v in os.environ["FASTACT_VARIANTS"].split(",")}
KERNEL_FAMILIES = ("_elementwise", "_softmax")

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "nonecheck": DEBUG,
    "cdivision": True,
    "embedsignature": True,
}


def load_registry():
    spec = importlib.util.spec_from_file_location("_fastact_registry", ROOT / "fastact" / "_registry.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


def render_templates():
    """Render kernels/*.pyx.tp into build/generated/<name>_<variant>.pyx, one copy per
    kernel variant (the module name differs); files are only rewritten on change."""
    reg = load_registry()
    context = {"ELEMENTWISE_OPS": reg.ELEMENTWISE_OPS, "FORMS": reg.FORMS}
    GENERATED.mkdir(parents=True, exist_ok=True)
    rendered = {}
    for template in sorted(KERNELS.glob("*.pyx.tp")):
        family = template.name[: -len(".pyx.tp")]
        text = render_template(template.read_text(), **context)
        banner = f"# GENERATED from kernels/{template.name} by setup.py: edit the template.\n"
        for variant in VARIANTS:
            target = GENERATED / f"{family}_{variant}.pyx"
            if not target.exists() or target.read_text() != banner + text:
                target.write_text(banner + text)
            rendered[family, variant] = target
    return rendered


class BuildExt(build_ext):
    """build_ext that probes OpenMP once and configures every extension."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:  # compile the kernel variants on every core (pip gives no -j)
            self.parallel = os.cpu_count() or 1

    def _compiles(self, flags, openmp=True):
        with tempfile.TemporaryDirectory() as tmp:
            src = pathlib.Path(tmp) / "probe.c"
            src.write_text(
                "#include <omp.h>\nint main(void) {\n"
                "  int n = 0;\n#pragma omp parallel reduction(+:n)\n  n += 1;\n"
                "  return omp_get_max_threads() > 0 ? 0 : 1;\n}\n"
                if openmp else "int main(void) { return 0; }\n"
            )
            try:
                objs = self.compiler.compile([str(src)], output_dir=tmp, extra_postargs=flags)
                self.compiler.link_executable(objs, "probe", output_dir=tmp, extra_postargs=flags)
                return True
            except Exception:  # any compiler/linker failure means "no OpenMP"
                return False

    def build_extensions(self):
        # drop the variants this compiler cannot target (old gcc/clang)
        for variant, vflags in VARIANTS.items():
            if vflags and not self._compiles(vflags, openmp=False):
                print(f"fastact: the compiler does not accept {' '.join(vflags)}: "
                      f"no {variant} kernels")
                self.extensions = [e for e in self.extensions
                                   if not e.name.endswith("_" + variant)]
        openmp = os.environ.get("FASTACT_NO_OPENMP", "0") != "1" and self._compiles(["-fopenmp"])
        if not openmp:
            banner = "#" * 72
            print(f"\n{banner}\n# fastact: the C compiler has no OpenMP support (or FASTACT_NO_OPENMP=1).\n"
                  f"# Building SERIAL kernels: every call runs on one thread.\n{banner}\n")
        omp_flags = ["-fopenmp"] if openmp else []
        # OpenMP SIMD (the softmax sums' vector reductions) needs no runtime: without
        # OpenMP, -fopenmp-simd where the compiler takes it
        simd_flags = [] if openmp or not self._compiles(["-fopenmp-simd"], openmp=False) \
            else ["-fopenmp-simd"]
        flags = BASE_FLAGS + omp_flags + simd_flags
        macros = [("FASTACT_BUILD_OPENMP", "1" if openmp else "0"),
                  ("FASTACT_OMP_SIMD", "1" if openmp or simd_flags else "0")]
        if self.compiler.compiler_type == "unix":
            # gcc's inliner stops inlining into the large generated loop functions,
            # and a call left in a loop keeps it scalar: the point functions
            # (cdef inline) must always be inlined.
            macros.append(("CYTHON_INLINE", "__inline__ __attribute__((always_inline, unused))"))
        for ext in self.extensions:
            variant = ext.name.rsplit("_", 1)[-1]
            ext_flags = flags + VARIANTS.get(variant, [])
            ext.extra_compile_args = ext_flags
            ext.extra_link_args = list(omp_flags)
            ext.define_macros = list(ext.define_macros) + macros + [
                ("FASTACT_BUILD_FLAGS", '"%s"' % " ".join(ext_flags))]
        super().build_extensions()


def extensions():
    generated = render_templates()
    common = dict(
        include_dirs=[np.get_include(), str(KERNELS)],
        libraries=["m"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
    )
    exts = [Extension(f"fastact.{family}_{variant}", [str(generated[family, variant])], **common)
            for family in KERNEL_FAMILIES for variant in VARIANTS]
    exts.append(Extension("fastact._buildinfo", [str(KERNELS / "_buildinfo.pyx")], **common))
    return cythonize(
        exts,
        include_path=[str(KERNELS)],
        compiler_directives=DIRECTIVES,
        build_dir=str(ROOT / "build" / "cython"),
        quiet=True,
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
