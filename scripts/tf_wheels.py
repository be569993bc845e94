#!/usr/bin/env python3
"""Reads the Python wheels that scripts/setup-tensorflow*.sh build the tensorflow backend from.

Why Python: wheels are zip files with their metadata inside, and pip's own `packaging` library
(standalone, or the copy vendored in pip) parses requirement lines, environment markers and
versions exactly as pip does. Only the standard library and that module are used.

Commands (errors go to stderr as one line each, exit status 1):
  select WHEEL_DIR --version V [--accept-cpu-wheel]
      Picks the CUDA build of tensorflow==V and the CUDA 12 runtime wheels that its METADATA names
      for the `and-cuda` extra, all from WHEEL_DIR, and checks each wheel (a zip, Linux x86_64,
      the version the METADATA asks for). Prints tab-separated lines:
        tensorflow <path> <cuda|cpu>
        nvidia <requirement name> <path>
      --accept-cpu-wheel (rehearsal): take tensorflow_cpu when there is no CUDA build, and treat
      and-cuda wheels that are absent as an empty set, with a warning.
  and-cuda WHEEL
      Prints the and-cuda requirements of a tensorflow wheel's METADATA, one per line.
  extract-tf WHEEL DEST
      Extracts libtensorflow_cc.so.2, libtensorflow_framework.so.2 (to DEST/lib) and the C headers
      the addon includes (to DEST/include).
  extract-nvidia WHEEL DEST
      Extracts what runs from an nvidia-*-cu12 wheel: everything under nvidia/ except headers,
      static libraries and Python files, keeping the wheel's layout (DEST/nvidia/<pkg>/lib/...)
      and its executable bits (cuda_nvcc's ptxas).
"""
import os
import re
import shutil
import sys
import zipfile

try:
    from packaging.requirements import Requirement
    from packaging.version import InvalidVersion, Version
except ImportError:  # pip vendors it; every machine with pip has this one
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.version import InvalidVersion, Version

EXTRA = 'and-cuda'


class WheelError(Exception):
    pass


def normalize(name):
    """PEP 503: nvidia_cublas_cu12, nvidia-cublas-cu12 and Nvidia.Cublas-CU12 are one project."""
    return re.sub(r'[-_.]+', '-', name).lower()


def parse_name(filename):
    """{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl, as PEP 427 spells it."""
    parts = filename[:-len('.whl')].split('-')
    if len(parts) not in (5, 6):
        raise WheelError(f'{filename}: not a wheel file name (name-version-python-abi-platform.whl)')
    return {'name': normalize(parts[0]), 'version': parts[1], 'python': parts[-3], 'abi': parts[-2],
            'platform': parts[-1], 'file': filename}


def is_linux_x86_64(platform_tag):
    # A wheel may carry several platform tags joined with '.'; one of them must fit.
    return any(re.fullmatch(r'(manylinux_\d+_\d+|manylinux\d+|linux)_x86_64', t)
               for t in platform_tag.split('.'))


def check_tags(path, wheel, cpython):
    if not is_linux_x86_64(wheel['platform']):
        raise WheelError(f'{path}: platform tag {wheel["platform"]} is not Linux x86_64 '
                         '(expected manylinux_*_x86_64, manylinuxYYYY_x86_64 or linux_x86_64)')
    pythons = wheel['python'].split('.')
    if cpython and not any(re.fullmatch(r'cp3\d+', p) for p in pythons):
        raise WheelError(f'{path}: python tag {wheel["python"]} is not a CPython 3 build (expected cp3XX)')
    if not cpython and not any(re.fullmatch(r'(py3|cp3\d+)', p) for p in pythons):
        raise WheelError(f'{path}: python tag {wheel["python"]} is not for Python 3 (expected py3 or cp3XX)')


def open_wheel(path):
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise WheelError(f'{path} is not a wheel: not a readable zip archive ({err})') from None


def metadata(path):
    with open_wheel(path) as z:
        names = [n for n in z.namelist() if re.fullmatch(r'[^/]+\.dist-info/METADATA', n)]
        if not names:
            raise WheelError(f'{path} has no *.dist-info/METADATA')
        return z.read(names[0]).decode('utf-8', errors='replace')


def and_cuda_requirements(path):
    """Requires-Dist lines that apply with the and-cuda extra and not without it."""
    text = metadata(path)
    # Headers end at the first blank line; the long description follows.
    headers = text.split('\n\n', 1)[0]
    reqs = []
    for line in headers.splitlines():
        if not line.startswith('Requires-Dist:'):
            continue
        req = Requirement(line[len('Requires-Dist:'):].strip())
        if req.marker is None:
            continue
        if req.marker.evaluate({'extra': EXTRA}) and not req.marker.evaluate({'extra': ''}):
            reqs.append(req)
    if not reqs:
        raise WheelError(f'{path}: its METADATA names no {EXTRA} requirements '
                         f'(no "Requires-Dist: ...; extra == \\"{EXTRA}\\"" lines)')
    return reqs


def version_of(wheel):
    try:
        return Version(wheel['version'])
    except InvalidVersion:
        return None


def select(wheel_dir, tf_version, accept_cpu):
    if not os.path.isdir(wheel_dir):
        raise WheelError(f'the wheel folder {wheel_dir} does not exist' if not os.path.exists(wheel_dir)
                         else f'{wheel_dir} is not a folder')
    files = sorted(f for f in os.listdir(wheel_dir) if f.endswith('.whl'))
    wheels = []
    for f in files:
        try:
            wheels.append(parse_name(f))
        except WheelError as err:
            print(f'warning: ignoring {os.path.join(wheel_dir, f)}: {err}', file=sys.stderr)
    lookup = 'pip download --only-binary=:all: --platform manylinux_2_27_x86_64 --python-version 3.11 ' \
             f'-d {wheel_dir} "tensorflow[and-cuda]=={tf_version}"'

    def of(name):
        return [w for w in wheels if w['name'] == name]

    cuda, cpu = of('tensorflow'), of('tensorflow-cpu')
    if not cuda and not cpu:
        listing = ', '.join(files[:8]) + (' …' if len(files) > 8 else '') if files else 'no .whl files'
        raise WheelError(f'no tensorflow-{tf_version}-*.whl in {wheel_dir} (it holds {listing}); '
                         f'on a machine with internet: {lookup}')
    if not cuda and not accept_cpu:
        raise WheelError(f'{wheel_dir} has only the CPU build of TensorFlow ({cpu[0]["file"]}); the GPU '
                         f'route needs the CUDA build, tensorflow-{tf_version}-cp3XX-cp3XX-manylinux_*_x86_64.whl '
                         f'({lookup}); to rehearse this route with the CPU wheel, add --accept-cpu-wheel')
    candidates = cuda or cpu
    kind = 'cuda' if cuda else 'cpu'
    matching = [w for w in candidates if w['version'] == tf_version]
    if not matching:
        found = ', '.join(w['file'] for w in candidates)
        raise WheelError(f'{wheel_dir} has {found}, but this setup builds against TensorFlow {tf_version}: '
                         f'{lookup}')
    # Every CPython build carries the same C library (it does not link libpython): take the newest.
    tf = sorted(matching, key=lambda w: w['file'])[-1]
    tf_path = os.path.join(wheel_dir, tf['file'])
    check_tags(tf_path, tf, cpython=True)
    if kind == 'cpu':
        print(f'warning: rehearsal: using the CPU build {tf["file"]} (--accept-cpu-wheel); the addon '
              'will not use a GPU', file=sys.stderr)

    chosen, missing = [], []
    for req in and_cuda_requirements(tf_path):
        present = of(normalize(req.name))
        fitting = [w for w in present if version_of(w) is not None and version_of(w) in req.specifier]
        if not fitting:
            if present:
                raise WheelError(f'{wheel_dir} has {", ".join(w["file"] for w in present)}, but {tf["file"]} '
                                 f'requires {req.name}{req.specifier} for its {EXTRA} extra')
            missing.append(f'{req.name}{req.specifier}')
            continue
        best = max(fitting, key=version_of)
        path = os.path.join(wheel_dir, best['file'])
        check_tags(path, best, cpython=False)
        open_wheel(path).close()
        chosen.append((normalize(req.name), path))
    if missing:
        if kind == 'cpu':
            print(f'warning: rehearsal: {wheel_dir} lacks the {EXTRA} wheels ({", ".join(missing)}); '
                  'building with none', file=sys.stderr)
        else:
            raise WheelError(f'{wheel_dir} lacks wheels that {tf["file"]} requires for its {EXTRA} extra '
                             f'(read from its METADATA): {", ".join(missing)}; on a machine with internet: {lookup}')
    print(f'tensorflow\t{tf_path}\t{kind}')
    for name, path in chosen:
        print(f'nvidia\t{name}\t{path}')


def copy_member(z, info, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with z.open(info) as src, open(path, 'wb') as out:
        shutil.copyfileobj(src, out, 1 << 20)
    mode = (info.external_attr >> 16) & 0o777
    if mode & 0o111:
        os.chmod(path, 0o755)


def extract_tf(wheel, dest):
    libs = {'tensorflow/libtensorflow_cc.so.2': 'lib/libtensorflow_cc.so.2',
            'tensorflow/libtensorflow_framework.so.2': 'lib/libtensorflow_framework.so.2'}
    # The C headers the addon includes (checked with g++ -MM), not the 13,000 others.
    include_dirs = ('tensorflow/c/', 'tensorflow/core/platform/', 'tsl/', 'xla/tsl/')
    found = set()
    with open_wheel(wheel) as z:
        for info in z.infolist():
            name = info.filename
            if name in libs:
                target = libs[name]
                found.add(name)
            elif name.startswith('tensorflow/include/') and name.endswith('.h') and \
                    name[len('tensorflow/include/'):].startswith(include_dirs):
                target = 'include/' + name[len('tensorflow/include/'):]
            else:
                continue
            copy_member(z, info, os.path.join(dest, target))
    missing = set(libs) - found
    if missing:
        raise WheelError(f'{wheel} lacks ' + ', '.join(sorted(missing)))


def extract_nvidia(wheel, dest):
    skip = re.compile(r'(/include/|\.(h|hpp|cuh|a|py|pyc)$|/__pycache__/)')
    count = 0
    with open_wheel(wheel) as z:
        for info in z.infolist():
            name = info.filename
            if not name.startswith('nvidia/') or name.endswith('/') or skip.search(name):
                continue
            copy_member(z, info, os.path.join(dest, name))
            count += 1
    if count == 0:
        raise WheelError(f'{wheel} has no files under nvidia/ (not an NVIDIA CUDA runtime wheel?)')


def main(argv):
    cmd, args = (argv[0], argv[1:]) if argv else ('', [])
    if cmd == 'select' and len(args) >= 3 and args[1] == '--version':
        select(args[0], args[2], accept_cpu='--accept-cpu-wheel' in args[3:])
    elif cmd == 'and-cuda' and len(args) == 1:
        for req in and_cuda_requirements(args[0]):
            print(f'{req.name}{req.specifier}')
    elif cmd == 'extract-tf' and len(args) == 2:
        extract_tf(*args)
    elif cmd == 'extract-nvidia' and len(args) == 2:
        extract_nvidia(*args)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    try:
        main(sys.argv[1:])
    except WheelError as err:
        print(err, file=sys.stderr)
        sys.exit(1)
