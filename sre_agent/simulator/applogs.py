"""What each demo service writes to its log, in its own language's style.

Healthy lines are sampled per request; error lines carry the failure's message, and the
languages that print stack traces (Java, Python, Ruby, .NET, Node) do so with real newlines.
"""

from __future__ import annotations

import random

from .app import SERVICES

_JAVA_STACK = ("\n\tat io.grpc.Status.asRuntimeException(Status.java:533)"
               "\n\tat oteldemo.AdService$AdServiceImpl.getAds(AdService.java:188)"
               "\n\tat oteldemo.AdServiceGrpc$MethodHandlers.invoke(AdServiceGrpc.java:287)"
               "\n\tat io.grpc.stub.ServerCalls$UnaryServerCallHandler$UnaryServerCallListener.onHalfClose(ServerCalls.java:182)"
               "\n\tat java.base/java.lang.Thread.run(Thread.java:1583)")
_PY_STACK = ('Traceback (most recent call last):\n  File "/app/recommendation_server.py", line 74, in ListRecommendations\n'
             '    prod_list = get_product_list(request.product_ids)\n  File "/app/recommendation_server.py", line 112, in get_product_list\n'
             '    cat_response = product_catalog_stub.ListProducts(demo_pb2.Empty())\n')
_RUBY_STACK = ("\n/email_server.rb:41:in `block in <main>'\n/usr/local/bundle/gems/sinatra-4.1.1/lib/sinatra/base.rb:1807:in `call'"
               "\n/usr/local/bundle/gems/rack-3.1.8/lib/rack/method_override.rb:28:in `call'")
_DOTNET_STACK = ("\n   at cart.cartstore.ValkeyCartStore.EnsureRedisConnected() in /usr/src/app/src/cartstore/ValkeyCartStore.cs:line 86"
                 "\n   at cart.cartstore.ValkeyCartStore.GetCartAsync(String userId) in /usr/src/app/src/cartstore/ValkeyCartStore.cs:line 182"
                 "\n   at cart.services.CartService.GetCart(GetCartRequest request, ServerCallContext context)")
_NODE_STACK = ("\n    at Object.callErrorFromStatus (/app/node_modules/@grpc/grpc-js/build/src/call.js:31:19)"
               "\n    at Object.onReceiveStatus (/app/node_modules/@grpc/grpc-js/build/src/client.js:193:76)"
               "\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)")

SEVERITY_NUMBER = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "WARNING": 13, "ERROR": 17, "FATAL": 21, "": 0}


def success_line(service: str, op: str, rng: random.Random, attrs: dict) -> tuple[str, str] | None:
    """A healthy log line for one handled request (None: this service logs nothing for it)."""
    uid = attrs.get("app.user.id", "")
    pid = attrs.get("app.product.id", "")
    if service == "checkout" and "PlaceOrder" in op:
        return "INFO", f'[PlaceOrder] user_id="{uid}" user_currency="{attrs.get("app.user.currency", "USD")}"'
    if service == "cart":
        if "AddItem" in op:
            return "INFO", f"AddItemAsync called with userId={uid}, productId={pid}, quantity={attrs.get('app.product.quantity', 1)}"
        if "EmptyCart" in op:
            return "INFO", f"EmptyCartAsync called with userId={uid}"
        return ("INFO", f"GetCartAsync called with userId={uid}") if rng.random() < 0.5 else None
    if service == "payment":
        amount = rng.randint(10, 900)
        return "INFO", (f'Charge request received. {{"amount":{{"currencyCode":"USD","units":{amount},"nanos":{rng.randint(0, 999999999)}}},'
                        f'"cardType":"{attrs.get("app.payment.card_type", "visa")}"}}')
    if service == "shipping" and "get-quote" in op:
        return "INFO", f"Received quote: {{\"dollars\":{rng.randint(5, 90)},\"cents\":{rng.randint(0, 99)}}}"
    if service == "shipping":
        return "INFO", f"Tracking ID Created: {_hex(rng, 8)}-{_hex(rng, 4)}-{_hex(rng, 4)}"
    if service == "quote":
        return ("INFO", f"Calculated quote: {rng.randint(5, 90)}.{rng.randint(0, 99):02d}") if rng.random() < 0.7 else None
    if service == "email":
        return "INFO", "Order confirmation email sent to: someone@example.com"
    if service == "ad":
        if rng.random() < 0.6:
            return "INFO", f"Targeted ad request received for {attrs.get('app.ads.contextKeys', '[travel]')}"
        return "INFO", "Non-targeted ad request received, preparing random response."
    if service == "recommendation":
        return ("INFO", f"Receive ListRecommendations for product ids:['{rng.choice(('66VCHSJNUP', '1YMWWN1N4O', 'L9ECAV7KIM'))}']") if rng.random() < 0.8 else None
    if service == "currency" and "Convert" in op:
        return "INFO", "Convert conversion successful"
    if service == "product-catalog" and "GetProduct" in op and rng.random() < 0.3:
        return "INFO", f"Product Found - ID: {pid}"
    if service == "accounting":
        return "INFO", f"Order details: {{\"orderId\": \"{_hex(rng, 8)}-{_hex(rng, 4)}\", \"shippingTrackingId\": \"{_hex(rng, 8)}\"}}"
    if service == "fraud-detection":
        return "INFO", f"Consumed record with orderId: {_hex(rng, 8)}-{_hex(rng, 4)}, and updated total count to: {rng.randint(100, 9000)}"
    return None


def error_line(service: str, op: str, message: str, rng: random.Random) -> tuple[str, str]:
    """The log line a service writes when handling ``op`` failed with ``message``."""
    lang = SERVICES[service].language if service in SERVICES else ""
    if lang in ("java", "kotlin"):
        return "ERROR", f"{op.split('/')[-1]} failed: {message}\nio.grpc.StatusRuntimeException: {message}{_JAVA_STACK}"
    if lang == "python":
        return "ERROR", f"{_PY_STACK}grpc._channel._InactiveRpcError: {message}"
    if lang == "ruby":
        return "ERROR", f"{message}{_RUBY_STACK}"
    if lang == "dotnet":
        return "ERROR", f"Exception: {message}{_DOTNET_STACK}"
    if lang == "nodejs":
        return "ERROR", f"Error: {message}{_NODE_STACK}" if service == "frontend" else f"{message}"
    if service == "checkout":
        return "ERROR", f"{op.split('/')[-1]} failed: {message}"
    return "ERROR", message


def access_line(rng: random.Random, when: str, method: str, path: str, status: int, dur_ms: float, upstream: str,
                upstream_ip: str, flags: str = "-") -> str:
    """An Envoy access-log line as the demo's frontend-proxy writes it."""
    details = "via_upstream" if status < 500 or flags == "-" else ("upstream_reset_before_response_started{connection_timeout}"
                                                                   if flags == "UF" else "upstream_reset_before_response_started{overflow}")
    return (f'[{when}] "{method} {path} HTTP/1.1" {status} {flags} {details} - "-" {rng.randint(0, 400)} '
            f'{rng.randint(200, 90000)} {int(dur_ms)} {max(0, int(dur_ms) - 1)} "-" "python-requests/2.32.3" '
            f'"{_hex(rng, 8)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 12)}" "frontend-proxy:8080" '
            f'"{upstream_ip}" {upstream} - - -')


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"
