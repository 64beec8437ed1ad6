import pytest
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Detector parts build from MMDet's registries, whatever scope earlier tests left set."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield
