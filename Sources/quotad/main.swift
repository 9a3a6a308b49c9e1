print("quotad")
