import sys

from parser_service.cli.entry import main

sys.exit(main())
