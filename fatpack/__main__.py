from fatpack.cli import main

raise SystemExit(main())
