"""The data and checkpoints shipped with s2s-lab (installed as the package data ``s2s_lab.shipped``).

Nothing here is code: see README.md in this folder for each file's source, license and the command that
reproduces it. Use :func:`s2s_lab.checkpoints.shipped` to find a file.
"""
