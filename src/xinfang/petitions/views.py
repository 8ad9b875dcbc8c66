"""Web pages for petitions: parse input, authorise, call a service or selector, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from xinfang.petitions.selectors import my_work


@login_required
def home(request):
    return render(request, "petitions/home.html", {"work": my_work(request.user)})
