#!/usr/bin/env python3
"""The Debian package, installed into throwaway roots (never into this machine's system).

Builds gstreamer1.0-rtmp-native with scripts/build-deb.sh (DEB_BUILD_OPTIONS="nocheck noopt": only
the plugin, unoptimised), creates fake roots with their own dpkg databases and runs dpkg on them
with --instdir, --admindir and --force-script-chrootless, so the package's maintainer scripts run
here with DPKG_ROOT set to the fake root (dpkg-divert reads DPKG_ROOT and DPKG_ADMINDIR). Then asks
GStreamer, with a fresh registry that scans only the fake root's plugin directory, whose rtmpsink
that root provides:

  1. gst-plugins-bad's real .deb first: rtmpsink is librtmp's.
  2. our package: gst-plugins-bad's libgstrtmp.so is diverted out of the plugin directory and
     rtmpsink is ours; reinstalling gst-plugins-bad (an upgrade) and our package keeps it so.
  3. dpkg --remove, and later --purge: the diversion is gone, gst-plugins-bad's file is back
     byte for byte and rtmpsink is librtmp's again.
  4. another root with our package first, gst-plugins-bad after it: its file lands at the
     diverted name at once, and comes back on purge.

gst-plugins-bad's .deb (the version installed here, so that its plugins load against this
machine's libraries) comes from the cache directory, /var/cache/apt/archives, or
`apt-get download`; without it the test is skipped (exit 77). So are machines without dpkg-dev,
debhelper or gst-inspect-1.0.

Usage: test_deb_install.py SOURCE_ROOT CACHE_DIR
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP = 77
PACKAGE = 'gstreamer1.0-rtmp-native'
BAD = 'gstreamer1.0-plugins-bad'
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
    """Runs cmd; on failure prints its output and fails the test."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          **kwargs)
    if proc.returncode != 0:
        print(proc.stdout)
        fail(f'{" ".join(map(str, cmd))} exited with {proc.returncode}')
    return proc.stdout


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def installed_version(package):
    proc = subprocess.run(['dpkg-query', '-W', '-f=${Version}', package],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def find_bad_deb(cache_dir, arch):
    """gst-plugins-bad's .deb, preferably of the installed version. None if there is none."""
    version = installed_version(BAD)
    if version is None:
        skip(f'{BAD} is not installed here (its plugins must load against this machine)')
    # Debian file names encode the epoch's ':' as '%3a'.
    name = f'{BAD}_{version.replace(":", "%3a")}_{arch}.deb'
    for d in (cache_dir, Path('/var/cache/apt/archives')):
        if (d / name).is_file():
            return d / name
    log(f'{name} not cached: apt-get download {BAD}={version}')
    proc = subprocess.run(['apt-get', 'download', f'{BAD}={version}'], cwd=cache_dir,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode == 0 and (cache_dir / name).is_file():
        return cache_dir / name
    print(proc.stdout)
    skip(f'cannot get {name}: not in {cache_dir} or /var/cache/apt/archives, and apt-get '
         'download failed (offline?)')


class FakeRoot:
    """A directory with its own dpkg database; dpkg never touches the real system."""

    def __init__(self, path, multiarch):
        self.root = path
        self.admindir = path / 'var/lib/dpkg'
        for d in ('info', 'updates', 'triggers'):
            (self.admindir / d).mkdir(parents=True)
        for f in ('status', 'available'):
            (self.admindir / f).touch()
        self.plugin_dir = path / 'usr/lib' / multiarch / 'gstreamer-1.0'
        self.plugin = self.plugin_dir / 'libgstrtmp.so'
        self.diverted = path / 'usr/lib' / multiarch / PACKAGE / 'libgstrtmp.so.gst-plugins-bad'
        self.registries = 0

    def dpkg(self, *args):
        cmd = ['dpkg', f'--instdir={self.root}', f'--admindir={self.admindir}',
               f'--log={self.root}/dpkg.log', '--force-script-chrootless', '--force-depends',
               '--force-unsafe-io']
        if os.geteuid() != 0:
            cmd.append('--force-not-root')
        return run(cmd + list(args))

    def diversions(self):
        out = run(['dpkg-divert', f'--admindir={self.admindir}', '--list'])
        return [line for line in out.splitlines() if line.strip()]

    def rtmpsink(self):
        """gst-inspect-1.0 rtmpsink against this root's plugin directory only, fresh registry."""
        self.registries += 1
        scratch = self.root.parent / f'{self.root.name}-gst-{self.registries}'
        scratch.mkdir()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('GST_PLUGIN_PATH', 'GST_PLUGIN_SYSTEM_PATH', 'GST_REGISTRY'))}
        env.update({
            'GST_PLUGIN_SYSTEM_PATH_1_0': str(self.plugin_dir),
            'GST_PLUGIN_PATH_1_0': '',
            'GST_REGISTRY_1_0': str(scratch / 'registry.bin'),
            # No per-user plugin directory (~/.local/share/gstreamer-1.0/plugins) either.
            'XDG_DATA_HOME': str(scratch / 'data'),
            'XDG_CACHE_HOME': str(scratch / 'cache'),
        })
        out = run(['gst-inspect-1.0', 'rtmpsink'], env=env)
        details = {}
        in_plugin = False
        for line in out.splitlines():
            if line.startswith('Plugin Details:'):
                in_plugin = True
            elif in_plugin and not line.strip():
                break
            elif in_plugin:
                m = re.match(r'\s+(\S.*?)\s{2,}(.*)$', line)
                if m:
                    details[m.group(1)] = m.group(2).strip()
        details['properties'] = out
        return details


def expect(cond, msg):
    if not cond:
        fail(msg)


def expect_ours(root, when):
    d = root.rtmpsink()
    expect(d.get('Filename') == str(root.plugin),
           f'{when}: rtmpsink comes from {d.get("Filename")}, not {root.plugin}')
    expect(d.get('Source module') == 'gst-rtmp-native',
           f'{when}: rtmpsink is from {d.get("Source module")!r}, not gst-rtmp-native')
    expect('reconnect-attempts' in d['properties'],
           f'{when}: rtmpsink has no reconnect-attempts property')
    log(f'{when}: rtmpsink is ours ({d.get("Description")!r}, {d.get("Filename")})')


def expect_librtmp(root, when):
    d = root.rtmpsink()
    expect(d.get('Filename') == str(root.plugin),
           f'{when}: rtmpsink comes from {d.get("Filename")}, not {root.plugin}')
    expect(d.get('Source module') == 'gst-plugins-bad',
           f'{when}: rtmpsink is from {d.get("Source module")!r}, not gst-plugins-bad')
    expect('reconnect-attempts' not in d['properties'],
           f'{when}: rtmpsink has reconnect-attempts, librtmp\'s has not')
    log(f'{when}: rtmpsink is librtmp\'s ({d.get("Description")!r}, {d.get("Filename")})')


def so_files_with_hash(directory, digest):
    return [p for p in directory.rglob('*') if p.is_file() and sha256(p) == digest]


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    source_root = Path(sys.argv[1]).resolve()
    cache_dir = Path(sys.argv[2]).resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)

    for tool in ('dpkg', 'dpkg-deb', 'dpkg-divert', 'dpkg-buildpackage', 'dpkg-architecture',
                 'dh', 'git', 'gst-inspect-1.0'):
        if shutil.which(tool) is None:
            skip(f'{tool} not found (install dpkg-dev, debhelper, git, gstreamer1.0-tools)')
    if not (source_root / '.git').exists():
        skip(f'{source_root} is not a git checkout (scripts/build-deb.sh copies git\'s files)')
    arch = run(['dpkg-architecture', '-qDEB_HOST_ARCH']).strip()
    multiarch = run(['dpkg-architecture', '-qDEB_HOST_MULTIARCH']).strip()
    bad_deb = find_bad_deb(cache_dir, arch)
    log(f'gst-plugins-bad: {bad_deb}')

    # Whatever happens, the real system's diversions and plugin file must not change.
    host_plugin = Path('/usr/lib') / multiarch / 'gstreamer-1.0' / 'libgstrtmp.so'
    host_before = (run(['dpkg-divert', '--list']),
                   sha256(host_plugin) if host_plugin.exists() else None)

    with tempfile.TemporaryDirectory(prefix='gst-rtmp-native-install-') as tmp:
        tmp = Path(tmp)
        # noopt (-O0): what is tested here is the packaging, not the code, and it builds in
        # about half the time.
        log('building the package (scripts/build-deb.sh, DEB_BUILD_OPTIONS="nocheck noopt")')
        env = dict(os.environ, DEB_BUILD_OPTIONS='nocheck noopt')
        out = run([source_root / 'scripts' / 'build-deb.sh', tmp / 'debs'], env=env)
        our_deb = Path(out.strip().splitlines()[-1])
        expect(our_deb.is_file(), f'build-deb.sh did not produce {our_deb}')
        log(f'built {our_deb.name}')
        expected_diversion = (f'diversion of /usr/lib/{multiarch}/gstreamer-1.0/libgstrtmp.so '
                              f'to /usr/lib/{multiarch}/{PACKAGE}/libgstrtmp.so.gst-plugins-bad '
                              f'by {PACKAGE}')

        # 1-3: gst-plugins-bad first, then ours, then ours removed.
        root = FakeRoot(tmp / 'root', multiarch)
        root.dpkg('--install', bad_deb)
        expect(root.plugin.is_file(), f'{BAD} did not install {root.plugin}')
        bad_hash = sha256(root.plugin)
        expect_librtmp(root, f'{BAD} alone')

        root.dpkg('--install', our_deb)
        expect(root.diversions() == [expected_diversion],
               f'after installing {PACKAGE}: diversions {root.diversions()}')
        expect(root.diverted.is_file() and sha256(root.diverted) == bad_hash,
               f'{BAD}\'s libgstrtmp.so is not at {root.diverted}')
        expect(root.plugin_dir not in root.diverted.parents,
               'the diverted file is inside the plugin directory')
        expect(not so_files_with_hash(root.plugin_dir, bad_hash),
               f'{BAD}\'s libgstrtmp.so is still in {root.plugin_dir}')
        ours_hash = sha256(root.plugin)
        expect_ours(root, f'{PACKAGE} installed over {BAD}')

        root.dpkg('--install', bad_deb)  # gst-plugins-bad upgraded (reinstalled) meanwhile
        root.dpkg('--install', our_deb)  # and our package
        expect(root.diversions() == [expected_diversion],
               f'after reinstalling both: diversions {root.diversions()}')
        expect(sha256(root.plugin) == ours_hash and sha256(root.diverted) == bad_hash,
               'reinstalling both packages changed which file is where')
        expect_ours(root, f'{BAD} and {PACKAGE} reinstalled')

        root.dpkg('--remove', PACKAGE)
        expect(root.diversions() == [], f'after dpkg --remove: diversions {root.diversions()}')
        expect(sha256(root.plugin) == bad_hash, f'{BAD}\'s libgstrtmp.so is not back')
        expect(not root.diverted.parent.exists(), f'{root.diverted.parent} is left behind')
        expect_librtmp(root, f'{PACKAGE} removed')

        root.dpkg('--install', our_deb)
        expect(sha256(root.plugin) == ours_hash, 'reinstalled: the plugin is not ours')
        root.dpkg('--purge', PACKAGE)
        expect(root.diversions() == [], f'after dpkg --purge: diversions {root.diversions()}')
        expect(sha256(root.plugin) == bad_hash and not root.diverted.parent.exists(),
               f'after dpkg --purge: {BAD}\'s file is not back where it was')
        log('install, reinstall, remove and purge over gst-plugins-bad: as expected')

        # 4: ours first, gst-plugins-bad installed later.
        root2 = FakeRoot(tmp / 'root2', multiarch)
        root2.dpkg('--install', our_deb)
        expect(root2.diversions() == [expected_diversion],
               f'{PACKAGE} alone: diversions {root2.diversions()}')
        root2.dpkg('--install', bad_deb)
        expect(sha256(root2.plugin) == ours_hash, f'{BAD} installed later replaced our plugin')
        expect(sha256(root2.diverted) == bad_hash, f'{BAD} installed later: not diverted')
        expect_ours(root2, f'{BAD} installed after {PACKAGE}')
        root2.dpkg('--purge', PACKAGE)
        expect(root2.diversions() == [] and sha256(root2.plugin) == bad_hash,
               f'{BAD} installed later: not restored by purge')
        log('gst-plugins-bad installed after our package: as expected')

    host_after = (run(['dpkg-divert', '--list']),
                  sha256(host_plugin) if host_plugin.exists() else None)
    expect(host_after == host_before, 'the real system\'s diversions or plugin file changed')
    log('this machine\'s diversions and plugin directory are untouched')
    print('PASS', flush=True)


if __name__ == '__main__':
    main()
