from arbstream.cli import main

raise SystemExit(main())
