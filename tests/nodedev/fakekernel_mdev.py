"""The kernel's mdev core on a fake sysfs tree: a plugin of fakekernel.py
(fakekernel.py ROOT --log FILE --plugin tests/nodedev/fakekernel_mdev.py).

- a UUID written to PARENT/mdev_supported_types/TYPE/create makes the mdev
  PARENT/UUID as tests/nodedev/fixture-mdev.sh's fixture_mdev_child does
  (subsystem mdev, driver vfio_mdev, mdev_type, a new IOMMU group, remove,
  assign_domain), and available_instances drops by one;
- 1 written to PARENT/UUID/remove takes it away again.

Like the kernel, it refuses a malformed or taken UUID and a type with no
instance left ('refuse create ...' in the log, and no mdev: the daemon's
wait then fails).  What it does is logged as 'mdev-create PARENT TYPE UUID'
and 'mdev-remove PARENT UUID'.  Every change appears at once: a directory
is built beside the tree and renamed in, a file written and renamed over
the old, so a reader never sees half an mdev or an empty count.
"""
import os
import re
import shutil

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_seq = [0]


def _scratch(fk):
    """A new path beside the tree (same file system, never watched)."""
    _seq[0] += 1
    return os.path.join(os.path.dirname(fk.root), ".fk-mdev-%d-%d" % (os.getpid(), _seq[0]))


def _put_file(fk, path, text):
    tmp = _scratch(fk)
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def _rel_link(target, linkpath, final_linkpath=None):
    """LINKPATH -> TARGET, relative to where the link will finally be."""
    where = os.path.dirname(final_linkpath or linkpath)
    os.symlink(os.path.relpath(target, where), linkpath)


def _new_group(fk):
    groups = fk.path("kernel/iommu_groups")
    used = [int(g) for g in os.listdir(groups) if g.isdigit()]
    n = max(used, default=-1) + 1
    os.makedirs(os.path.join(groups, str(n), "devices"))
    return n


def _available(fk, typedir):
    with open(os.path.join(typedir, "available_instances")) as f:
        return int(f.read().strip())


def mdev_create(fk, m, value):
    parent_rel, mtype = m.group(1), m.group(2)
    parent = fk.path(parent_rel)
    typedir = os.path.join(parent, "mdev_supported_types", mtype)
    uuid = value.strip().lower()
    final = os.path.join(parent, uuid)
    if not UUID.match(uuid) or os.path.lexists(final) or os.path.lexists(fk.path("bus/mdev/devices/" + uuid)):
        fk.log("refuse create %s %s %s" % (parent_rel, mtype, value.strip()))    # the kernel: EINVAL / EEXIST
        return
    avail = _available(fk, typedir)
    if avail <= 0:
        fk.log("refuse create %s %s %s" % (parent_rel, mtype, uuid))              # the kernel: EDQUOT
        return
    group = _new_group(fk)
    tmp = _scratch(fk)
    os.mkdir(tmp)
    with open(os.path.join(tmp, "uevent"), "w") as f:
        f.write("MDEV_TYPE=%s\nDRIVER=vfio_mdev\n" % mtype)
    for name in ("remove", "assign_domain"):
        open(os.path.join(tmp, name), "w").close()
    links = {
        "subsystem": fk.path("bus/mdev"),
        "driver": fk.path("bus/mdev/drivers/vfio_mdev"),
        "mdev_type": typedir,
        "iommu_group": fk.path("kernel/iommu_groups/%d" % group),
    }
    for name, target in links.items():
        _rel_link(target, os.path.join(tmp, name), os.path.join(final, name))
    _put_file(fk, os.path.join(typedir, "available_instances"), "%d\n" % (avail - 1))
    # logged first: whoever sees the mdev may read the log at once
    fk.log("mdev-create %s %s %s" % (parent_rel, mtype, uuid))
    # watched before it appears: the daemon writes its attributes at once,
    # before this loop would see the new directory (the watch follows the
    # inode through the rename; only its name here changes)
    fk.watch(tmp)
    os.rename(tmp, final)
    for wd, d in list(fk.wds.items()):
        if d == tmp:
            fk.wds[wd] = final
    for linkpath in (fk.path("bus/mdev/devices/" + uuid), os.path.join(typedir, "devices", uuid),
                     fk.path("kernel/iommu_groups/%d/devices/%s" % (group, uuid))):
        os.makedirs(os.path.dirname(linkpath), exist_ok=True)
        _rel_link(final, linkpath)


def mdev_remove(fk, m, value):
    parent_rel, uuid = m.group(1), m.group(2)
    mdev = fk.path(os.path.join(parent_rel, uuid))
    if value.strip() != "1" or not os.path.isdir(mdev) or os.path.islink(mdev):
        fk.log("refuse remove %s %s" % (parent_rel, uuid))
        return
    typedir = os.path.realpath(os.path.join(mdev, "mdev_type"))
    group = os.path.realpath(os.path.join(mdev, "iommu_group"))
    fk.log("mdev-remove %s %s" % (parent_rel, uuid))
    # the kernel's write returns once all is done: here the mdev's path
    # vanishes last, so whoever sees it gone sees the rest done too
    for linkpath in (fk.path("bus/mdev/devices/" + uuid), os.path.join(typedir, "devices", uuid)):
        if os.path.islink(linkpath):
            os.unlink(linkpath)
    _put_file(fk, os.path.join(typedir, "available_instances"), "%d\n" % (_available(fk, typedir) + 1))
    gone = _scratch(fk)
    os.rename(mdev, gone)
    shutil.rmtree(group, ignore_errors=True)
    shutil.rmtree(gone, ignore_errors=True)


def setup(fk):
    fk.on(r"(devices/.+)/mdev_supported_types/([^/]+)/create", mdev_create)
    fk.on(r"(devices/.+)/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/remove", mdev_remove)

