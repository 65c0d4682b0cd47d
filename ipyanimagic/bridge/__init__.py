"""The bridge: JavaScript in a notebook output and the Python kernel calling each other.

It owns the widget every displayed object is built on (``transport``), the one entry
point for page -> kernel requests and its allow-list (``dispatcher``, ``registry``),
running Python for the page (``pyexec``, ``capture``, ``jsonvalue``, ``cellruns``),
``%%jsexec``'s widget (``jsexec``) and the calls the other way, Python -> page
(``pagecalls``, ``replywait``), and what a page that (re)loads while a cell runs needs
from the kernel (``restore``). Page side: ``templates/bridge/``.

It knows nothing of animations: the player is one of its users, and ``%%jsexec`` works
with matplotlib absent.

May import: the top's shared modules.
"""
