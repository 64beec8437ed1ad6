"""The top-level requirements.txt (MMPose's layout) and tools/install.sh read the same pin files."""
import glob
import os.path as osp
import re

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _top_level_includes():
    lines = [ln.split('#')[0].strip() for ln in open(osp.join(REPO, 'requirements.txt'))]
    lines = [ln for ln in lines if ln]
    assert all(ln.startswith('-r requirements/') for ln in lines), lines  # pins live below
    return [ln[len('-r '):] for ln in lines]


def test_requirements_txt_points_into_requirements():
    included = _top_level_includes()
    assert included == ['requirements/build.txt', 'requirements/torch.txt',
                        'requirements/runtime.txt', 'requirements/tests.txt']
    for rel in included:
        assert osp.isfile(osp.join(REPO, rel)), rel


def test_install_sh_reads_the_same_files():
    script = open(osp.join(REPO, 'tools', 'install.sh')).read()
    commands = '\n'.join(ln for ln in script.splitlines() if not ln.lstrip().startswith('#'))
    read = set(re.findall(r'requirements/\w+\.txt', commands))
    assert re.search(r'^\$PIP -r requirements\.txt$', commands, re.M)  # checks every listed pin
    on_disk = {osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'requirements', '*.txt'))}
    # every pin file is installed: the top-level file's, and the OpenMMLab stack (mminstall.txt,
    # which needs install.sh's flags and so stays out of requirements.txt, as in MMPose)
    assert read | set(_top_level_includes()) == on_disk
    assert 'requirements/mminstall.txt' in read
    assert 'requirements/mminstall.txt' not in _top_level_includes()
