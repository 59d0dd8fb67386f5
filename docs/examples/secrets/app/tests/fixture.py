token = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
