"""The array-held file index reads back what the list index holds, names that are not UTF-8 included."""
import os

import pytest

from enet_port.data.dataset import by_class
from enet_port.data.filelist import FileList


def test_filelist_reads_back_items_and_groups_like_lists():
    odd = os.fsdecode(b"/data/train/b/caf\xe9.JPEG")  # a Latin-1 name on a UTF-8 system
    items = [["/data/train/a/1.JPEG", 0], [odd, 1], ["/data/train/a/2.JPEG", 0], ["/d/c/\u00e9.png", 2]]
    files = FileList.from_items(items)
    assert len(files) == 4 and [list(f) for f in files] == items
    assert files[-1] == ("/d/c/\u00e9.png", 2) and os.fsencode(files[1][0]) == b"/data/train/b/caf\xe9.JPEG"
    assert [list(g) for g in by_class(files, 4)] == by_class(items, 4) == [[0, 2], [1], [3], []]
    with pytest.raises(IndexError):
        files[4]
