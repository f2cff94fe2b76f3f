"""The signed-in user's inbox: the HTTP door to their in-app notifications (notifications itself is a sink)."""
