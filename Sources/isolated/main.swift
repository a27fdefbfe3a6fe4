print("isolated")
