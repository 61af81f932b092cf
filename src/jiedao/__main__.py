from jiedao.cli import main

main()
