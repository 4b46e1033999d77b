"""The project as objects: clause library, company profiles, dunning ladder, a whole project."""
