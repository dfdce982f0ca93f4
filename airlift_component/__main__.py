import sys

from airlift_component.cli.main import main

sys.exit(main())
