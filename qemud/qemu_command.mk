# qemu_command: see qemud/qemu_command.h
