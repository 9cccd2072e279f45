from pixpress.cli import main

main()
