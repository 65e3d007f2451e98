import sys

from liaison.cli import main

sys.exit(main())
