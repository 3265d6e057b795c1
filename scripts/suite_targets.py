#!/usr/bin/env python3
"""Prints the ninja targets (paths relative to the build directory) of the executables that the
tests of one suite run, so that a build can make just those: suite_targets.py BUILD_DIR SUITE"""
import json
import os
import subprocess
import sys

build_dir, suite = sys.argv[1], sys.argv[2]
tests = json.loads(subprocess.run(['meson', 'introspect', '--tests', build_dir], check=True,
                                  stdout=subprocess.PIPE, text=True).stdout)
root = os.path.realpath(build_dir)
targets = set()
for t in tests:
    if any(s == suite or s.endswith(':' + suite) for s in t['suite']):
        exe = os.path.realpath(t['cmd'][0])
        if exe.startswith(root + os.sep):
            targets.add(os.path.relpath(exe, root))
if not targets:
    sys.exit(f'no test executables in suite {suite!r} of {build_dir}')
print(' '.join(sorted(targets)))
