"""The player: ``%animate`` / ``animate()``, a widget whose frames the kernel draws on demand.

It owns ``animate()`` and its defaults (``animate``), the checks of what a user or page
asks for (``options``), the ``Player`` widget and the methods its page calls
(``widget``), which way its frames are made (``supply``: in order, in the kernel, or on
workers), who owns a figure (``ownership``), and the kernel-less copies: files and GIF /
MP4 (``export``, ``progress``) and a player inside the notebook output (``embed``);
and the live player of a running loop (``live``).
Page side: ``templates/player/``.

It is the top of the stack: it uses the bridge to talk to its page, and the frame
machinery and the workers to make frames; none of them imports it.

May import: the top's shared modules, bridge, frames, workers.
"""
