from scaletui.cli import main

main()
