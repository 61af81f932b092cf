from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Liveness for a load balancer; touches nothing, so it is also the benchmarks' baseline."""
    return HttpResponse("ok", content_type="text/plain")
