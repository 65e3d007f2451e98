"""The two-node demo (plus a third party): ``liaison demo``.

Usage::

    from liaison.demo import main
    main(keep=False, wait=False)
"""

from liaison.demo.run import main, run_demo

__all__ = ["main", "run_demo"]
