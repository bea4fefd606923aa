"""What the python3-libvirt test scripts share: one python process makes the
calls and prints KEY=VALUE lines that the shell side checks; a call that
raises prints KEY=EXC code domain message."""
import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)   # keep stderr quiet


def out(key, value):
    print("%s=%s" % (key, value), flush=True)


def exc(e):
    return "EXC %s %s %s" % (e.get_error_code(), e.get_error_domain(), e.get_error_message())


def step(key, fn):
    """out(KEY, FN()), or KEY=EXC ... / KEY=PYEXC ... if FN raises."""
    try:
        out(key, fn())
    except libvirt.libvirtError as e:
        out(key, exc(e))
    except Exception as e:
        out(key, "PYEXC %r" % (e,))


def error_of(fn):
    """The libvirt error FN raises, as exc() writes it, or "no error"."""
    try:
        fn()
    except libvirt.libvirtError as e:
        return exc(e)
    return "no error"
