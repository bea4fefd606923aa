# qmp: see qemud/qmp.h
