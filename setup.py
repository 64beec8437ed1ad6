"""Install mmpose_track.

Like MMPose, the wheel carries ``configs/`` and ``tools/`` as ``mmpose_track/.mim/`` so that
``mim train mmpose_track CONFIG`` and ``mim test mmpose_track CONFIG --checkpoint CKPT`` work after a
normal ``pip install .`` (copied for install/wheel builds, symlinked for ``setup.py develop``).
"""
import os
import os.path as osp
import shutil
import sys
import warnings

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'mmpose_track', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Requirement lines of ``requirements/<fname>`` (comments and pip options dropped)."""
    reqs = []
    with open(osp.join(HERE, 'requirements', fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


def add_mim_extension() -> None:
    """Copy (install, wheel) or symlink (develop) configs/ and tools/ into mmpose_track/.mim."""
    if 'develop' in sys.argv:
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'install', 'build', 'build_py', 'egg_info'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'mmpose_track', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    # setuptools' build/lib keeps files deleted since the last build: a stale config would ship
    shutil.rmtree(osp.join(HERE, 'build', 'lib', 'mmpose_track', '.mim'), ignore_errors=True)
    for name in ('configs', 'tools', 'requirements'):
        src = osp.join(HERE, name)
        dst = osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        else:
            try:
                shutil.copytree(src, dst)
            except OSError as err:  # pragma: no cover
                warnings.warn(f'could not copy {src} into {dst}: {err}')


if __name__ == '__main__':
    add_mim_extension()
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        long_description = f.read()
    setup(
        name='mmpose_track',
        version=get_version(),
        description='Multi-person pose estimation and tracking in video for MMPose 1.x',
        long_description=long_description,
        long_description_content_type='text/markdown',
        python_requires='>=3.8',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks', 'docs')),
        include_package_data=True,
        package_data={'mmpose_track': ['.mim/**/*', '.mim/**/**/*', '.mim/**/**/**/*']},
        # mmpose and openmim are left out on purpose: mmpose's metadata requires chumpy (breaks on
        # numpy >= 1.24) and openmim's pins setuptools~=60.2 (breaks torch); tools/install.sh
        # installs both with --no-deps (see requirements/mminstall.txt).
        install_requires=parse_requirements('runtime.txt') + [
            r for r in parse_requirements('mminstall.txt')
            if not r.startswith(('mmpose', 'openmim'))
        ],
        extras_require={'tests': parse_requirements('tests.txt')},
        license='Apache License 2.0',
        zip_safe=False)
