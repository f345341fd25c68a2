from flexunity.cli import main

main()
