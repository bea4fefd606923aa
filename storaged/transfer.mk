# Volume upload and download streams (volume_stream.c: the procedures on
# the RPC loop; volume_xfer.c: the transfer thread, its queue and the
# download reader; volume_upload.c: the crash-safe upload writer).
storaged_modvirt_storaged_SOURCES += \
	storaged/volume_stream.c \
	storaged/volume_xfer.c storaged/volume_xfer.h \
	storaged/volume_upload.c
