#!/usr/bin/env python3
"""The drop-in plugin SDK end to end, as a plugin author meets it.

1. `cmake --install <build dir> --prefix <tmp>/prefix`: the binary, the real plugins, the SDK headers,
   the CMake package and the config land where they belong (and test plugins do not);
2. a copy of plugins/template, outside the source tree, is configured with
   `-DCMAKE_PREFIX_PATH=<prefix>` (find_package(results_exporter)) and built with warnings as errors;
3. the .so exports the entry symbol and nothing else;
4. the installed binary loads it from a plugin folder and parses the template's sample into the
   expected metrics (by name and through `--plugin auto`);
5. the installed binary finds the installed plugins without --plugin-dir, and accepts the
   installed config.

Every step is bounded in time; the temporary folder goes away whatever happens.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PLUGIN = "example_csv"


def run(cmd, timeout, cwd=None, check=True):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                       cwd=cwd)
    if check and r.returncode != 0:
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        raise AssertionError(f"exit status {r.returncode}: {cmd[0]}")
    return r


def expect(cond, what, detail=""):
    if not cond:
        raise AssertionError(what + (f"\n{detail}" if detail else ""))


def install(args, prefix):
    run([args.cmake, "--install", args.build_dir, "--prefix", prefix], timeout=120)
    for rel in ("bin/results_exporter",
                "lib/results_exporter/plugins/osworld_detailed.so",
                "lib/results_exporter/plugins/osworld_tasks.so",
                "include/results_exporter/plugin_abi.h",
                "include/results_exporter/plugin_sdk.hpp",
                "include/results_exporter/sdk_json.hpp",
                "lib/cmake/results_exporter/results_exporterConfig.cmake",
                "lib/cmake/results_exporter/results_exporterConfigVersion.cmake",
                "lib/cmake/results_exporter/ResultsExporterPlugin.cmake",
                "share/results_exporter/config/results_exporter.yml"):
        expect((prefix / rel).is_file(), f"not installed: {rel}")
    installed = sorted(p.name for p in (prefix / "lib/results_exporter/plugins").iterdir())
    expect(not any(n.startswith("test_") or n.startswith(PLUGIN) for n in installed),
           f"test or example plugins were installed: {installed}")


def build_out_of_tree(args, tmp, prefix):
    src = tmp / "src" / PLUGIN
    shutil.copytree(Path(args.source_dir) / "plugins" / "template", src)
    build = tmp / "build"
    run([args.cmake, "-S", src, "-B", build, "-G", args.generator,
         f"-DCMAKE_MAKE_PROGRAM={args.make_program}",
         f"-DCMAKE_CXX_COMPILER={args.cxx_compiler}",
         f"-DCMAKE_PREFIX_PATH={prefix}",
         "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF",
         "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
         "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast -Werror"],
        timeout=120)
    cache = (build / "CMakeCache.txt").read_text()
    found = re.search(r"^results_exporter_DIR:PATH=(.*)$", cache, re.M)
    expect(found and Path(found.group(1)).resolve() ==
           (prefix / "lib/cmake/results_exporter").resolve(),
           "find_package(results_exporter) did not use the installed package",
           found.group(0) if found else "no results_exporter_DIR in the cache")
    run([args.cmake, "--build", build, "--parallel", "1"], timeout=180)
    so = build / f"{PLUGIN}.so"
    expect(so.is_file(), f"the build did not produce {so}")
    return src, so


def check_exports(so):
    out = run(["nm", "-D", "--defined-only", so], timeout=30).stdout
    symbols = sorted(line.split()[-1] for line in out.splitlines() if line.strip())
    expect(symbols == ["results_exporter_plugin_entry"],
           f"{so.name} must export only results_exporter_plugin_entry, exports {symbols}")


def check_parse(binary, plugin_dir, sample, spec, cwd):
    r = run([binary, "parse", f"--plugin-dir={plugin_dir}", "--plugin", spec, sample],
            timeout=60, cwd=cwd, check=False)
    expect(r.returncode == 0, f"parse --plugin {spec} failed", r.stderr)
    expect(f"parsed by {PLUGIN}" in r.stderr, f"parse --plugin {spec} did not use {PLUGIN}",
           r.stderr)
    for line in ('example_tests_total{status="pass"} 2',
                 'example_tests_total{status="fail"} 1',
                 'example_tests_total{status="skip"} 1',
                 'example_test_duration_seconds{test="login"} 0.42',
                 'example_test_duration_seconds{test="checkout"} 1.3'):
        expect(line in r.stdout.splitlines(), f"missing from the output: {line}", r.stdout)
    expect('test="search"' not in r.stdout, "a duration that was not given was made up", r.stdout)


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--cmake", "--build-dir", "--source-dir", "--generator", "--make-program",
                "--cxx-compiler"):
        ap.add_argument(opt, required=True)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="rex_sdk_") as t:
        tmp = Path(t)
        prefix = tmp / "prefix"
        install(args, prefix)
        binary = prefix / "bin" / "results_exporter"

        src, so = build_out_of_tree(args, tmp, prefix)
        check_exports(so)

        # Dropped into a plugin folder of its own, as into a server's plugin_dir.
        plugin_dir = tmp / "plugins"
        plugin_dir.mkdir()
        shutil.copy(so, plugin_dir)
        check_parse(binary, plugin_dir, src / "sample.csv", PLUGIN, tmp)
        check_parse(binary, plugin_dir, src / "sample.csv", "auto", tmp)

        # Without --plugin-dir the installed binary uses <prefix>/lib/results_exporter/plugins.
        sample = tmp / "osworld.json"
        shutil.copy(Path(args.source_dir) / "schemas" / "osworld_detailed" / "sample.json", sample)
        r = run([binary, "parse", "--plugin", "auto", sample], timeout=60, cwd=tmp, check=False)
        expect(r.returncode == 0 and "parsed by osworld_detailed" in r.stderr,
               "the installed binary did not find the installed plugins", r.stderr)
        expect(re.search(r"^osworld_\w+", r.stdout, re.M), "no osworld metrics", r.stdout)
        r = run([binary, "check-config", prefix / "share/results_exporter/config/results_exporter.yml"],
                timeout=60, cwd=tmp, check=False)
        expect(r.returncode == 0 and "warning" not in r.stderr,
               "the installed config does not check", r.stdout + r.stderr)
    print("OK")


if __name__ == "__main__":
    main()
