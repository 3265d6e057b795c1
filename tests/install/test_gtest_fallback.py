#!/usr/bin/env python3
"""A fallback build from subprojects/: GoogleTest from subprojects/gtest.wrap, offline.

Copies the tree (the files git knows about) to a temporary directory and puts Debian's
GoogleTest sources (/usr/src/googletest, package googletest, 1.12.1 like the wrap) where the wrap's
`directory` says, with the wrap's packagefiles overlay (`patch_directory`) laid over them, as
meson does after downloading the release archive. Then configures with
--force-fallback-for=gtest,gtest_main,gmock --wrap-mode=nodownload, checks that GoogleTest came
from the subproject and not from the system, builds one unit test (test_amf0) and runs it.

Skipped (exit 77) without /usr/src/googletest, git, meson or ninja.

Usage: test_gtest_fallback.py SOURCE_ROOT
"""

import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP = 77
GOOGLETEST_SRC = Path('/usr/src/googletest')
started = time.monotonic()


def log(msg):
    print(f'[{time.monotonic() - started:6.1f}s] {msg}', flush=True)


def skip(reason):
    print(f'SKIP: {reason}', flush=True)
    sys.exit(SKIP)


def fail(msg):
    print(f'FAIL: {msg}', flush=True)
    sys.exit(1)


def run(cmd, **kwargs):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          **kwargs)
    if proc.returncode != 0:
        print(proc.stdout)
        fail(f'{" ".join(map(str, cmd))} exited with {proc.returncode}')
    return proc.stdout


def copy_tree(source_root, dest):
    """The files git knows about (tracked, and untracked ones .gitignore does not exclude)."""
    out = subprocess.run(['git', '-C', source_root, 'ls-files', '-z', '--cached', '--others',
                          '--exclude-standard'], stdout=subprocess.PIPE, check=True).stdout
    for rel in out.decode().split('\0'):
        if not rel:
            continue
        src = source_root / rel
        if not (src.exists() or src.is_symlink()):
            continue  # deleted in the work tree
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel, follow_symlinks=False)


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    source_root = Path(sys.argv[1]).resolve()
    if not (GOOGLETEST_SRC / 'googletest' / 'src' / 'gtest-all.cc').is_file():
        skip(f'{GOOGLETEST_SRC} not found (Debian package googletest)')
    for tool in ('git', 'meson', 'ninja'):
        if shutil.which(tool) is None:
            skip(f'{tool} not found')
    if not (source_root / '.git').exists():
        skip(f'{source_root} is not a git checkout')

    wrap = configparser.ConfigParser(interpolation=None)
    wrap.read(source_root / 'subprojects' / 'gtest.wrap')
    directory = wrap['wrap-file']['directory']
    overlay = source_root / 'subprojects' / 'packagefiles' / wrap['wrap-file']['patch_directory']
    version = re.search(r'(\d+\.\d+\.\d+)', directory).group(1)
    debian_version = subprocess.run(['dpkg-query', '-W', '-f=${Version}', 'googletest'],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True).stdout
    if debian_version and not debian_version.startswith(version):
        log(f'note: the wrap is GoogleTest {version}, {GOOGLETEST_SRC} is {debian_version}')

    with tempfile.TemporaryDirectory(prefix='gst-rtmp-native-fallback-') as tmp:
        tmp = Path(tmp)
        src = tmp / 'src'
        copy_tree(source_root, src)
        # What meson does with the downloaded archive: extract it as `directory`, then copy the
        # patch_directory over it.
        sub = src / 'subprojects' / directory
        shutil.copytree(GOOGLETEST_SRC, sub, symlinks=True)
        shutil.copytree(overlay, sub, dirs_exist_ok=True)
        log(f'{GOOGLETEST_SRC} + subprojects/packagefiles/{overlay.name}'
            f' -> subprojects/{directory}')

        build = tmp / 'build'
        setup = run(['meson', 'setup', build, src, '--wrap-mode=nodownload',
                     '--force-fallback-for=gtest,gtest_main,gmock', '-Dintegration=disabled',
                     # What is tested is where GoogleTest comes from: no optimisation, no debug
                     # information, so that it builds quickly.
                     '-Doptimization=0', '-Ddebug=false'])
        if not re.search(rf'Dependency gtest from subproject subprojects/{re.escape(directory)} '
                         r'found: YES', setup):
            print(setup)
            fail('meson did not take gtest from the subproject')
        warnings = [line for line in setup.splitlines() if line.startswith('WARNING')]
        if warnings:
            print('\n'.join(warnings))
            fail('meson setup warned')
        log(f'configured: gtest from subprojects/{directory}, no warnings')

        target = 'tests/unit/test_amf0'
        run(['ninja', '-C', build, target])
        commands = run(['ninja', '-C', build, '-t', 'commands', target])
        if f'subprojects/{directory}/googletest/include' not in commands:
            fail(f'{target} was not compiled against the subproject\'s GoogleTest headers')
        if not re.search(rf'subprojects/{re.escape(directory)}/googletest/libgtest(_main)?\.a',
                         commands):
            fail(f'{target} was not linked with the subproject\'s libgtest')
        if re.search(r'-lgtest\b|/usr/lib/\S*libgtest', commands):
            fail(f'{target} was linked with the system\'s GoogleTest')
        log(f'built {target} against the subproject\'s GoogleTest')

        out = run([build / target, '--gtest_brief=1'])
        summary = [line for line in out.splitlines() if 'PASSED' in line or 'tests' in line]
        log(f'{target}: {summary[-1] if summary else "passed"}')
    print('PASS', flush=True)


if __name__ == '__main__':
    main()
