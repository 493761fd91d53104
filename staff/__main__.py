from staff.app import main

main()
