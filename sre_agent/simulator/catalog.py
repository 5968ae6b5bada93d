"""What the demo's requests look like: the user flows the load generator drives.

Each flow is a tree of :class:`Node` calls (callee service, span name, protocol, children);
:func:`build_flow` draws one concrete request (products, quantities, optional calls).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

PRODUCTS = ("OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM", "2ZYFJ3GM2N",
            "0PUK6V6EV0", "LS4PSXUNUM", "9SIQT8TOJO", "6E92ZMYYFZ", "HQTGWGPNH4")
CURRENCIES = ("USD", "EUR", "CAD", "JPY", "GBP", "TRY", "CHF")
AD_CATEGORIES = ("binoculars", "telescopes", "accessories", "assembly", "travel", "books")

#: flow -> share of user requests.
FLOW_WEIGHTS: dict[str, float] = {
    "home": 0.17, "product": 0.22, "recommendations": 0.13, "ads": 0.14, "cart_view": 0.07,
    "cart_add": 0.07, "checkout": 0.05, "shipping_quote": 0.03, "currency": 0.04, "images": 0.08,
}


@dataclass
class Node:
    """One call: the callee's server span and the caller's client span."""

    service: str
    name: str
    protocol: str  # grpc | http | redis | kafka | flagd
    own_ms: tuple[float, float]
    children: list["Node"] = field(default_factory=list)
    critical: bool = True
    attrs: dict[str, Any] = field(default_factory=dict)
    product: str | None = None
    route: str = ""
    method: str = "POST"


#: Which flags the demo's services evaluate, and in which operation (their OpenFeature calls):
#: (service, rpc method / span name / route) -> canonical flag keys.  Each evaluation is a
#: ``feature_flag.evaluation`` event on that server span (and, now and then, a log record).
FLAG_EVALUATIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("ad", "GetAds"): ("adFailure", "adManualGc", "adServiceHighCpu"),
    ("cart", "EmptyCart"): ("cartFailure",),
    ("checkout", "PlaceOrder"): ("paymentUnreachable", "kafkaQueueProblems"),
    ("payment", "Charge"): ("paymentFailure",),
    ("product-catalog", "GetProduct"): ("productCatalogFailure",),
    ("recommendation", "ListRecommendations"): ("recommendationCacheFailure",),
    ("fraud-detection", "orders process"): ("kafkaQueueProblems",),
    ("frontend-proxy", "/images"): ("imageSlowLoad",),  # the browser's flag call goes through the proxy
}
#: Services that evaluate a flag outside any traced request (a log record every minute).
FLAG_LOG_EVALUATIONS: dict[str, tuple[str, ...]] = {"load-generator": ("loadgeneratorFloodHomepage",)}


def flags_evaluated(node: "Node") -> tuple[str, ...]:
    """The canonical flag keys the server side of ``node`` evaluates."""
    op = node.attrs.get("rpc.method") or (node.route if node.service == "frontend-proxy" else node.name)
    return FLAG_EVALUATIONS.get((node.service, op), ())


def _grpc(service: str, rpc_service: str, method: str, own: tuple[float, float], children: list[Node] | None = None,
          **attrs: Any) -> Node:
    return Node(service, f"oteldemo.{rpc_service}/{method}", "grpc", own, children or [],
                attrs={"rpc.system": "grpc", "rpc.service": f"oteldemo.{rpc_service}", "rpc.method": method, **attrs})


def _flagd(rng: random.Random, flag: str) -> list[Node]:
    if rng.random() > 0.25:
        return []
    return [Node("flagd", "flagd.evaluation.v1.Service/ResolveBoolean", "flagd", (0.2, 1.5),
                 critical=False, attrs={"rpc.system": "grpc", "rpc.service": "flagd.evaluation.v1.Service",
                                        "rpc.method": "ResolveBoolean", "feature_flag.key": flag})]


def _redis(command: str) -> Node:
    return Node("valkey-cart", command, "redis", (0.2, 1.2), attrs={"db.system": "redis", "db.operation": command,
                                                                     "server.address": "valkey-cart", "server.port": 6379})


def _get_product(rng: random.Random, pid: str | None = None) -> Node:
    pid = pid or rng.choice(PRODUCTS)
    n = _grpc("product-catalog", "ProductCatalogService", "GetProduct", (0.3, 2.0),
              _flagd(rng, "productCatalogFailure"), **{"app.product.id": pid})
    n.product = pid
    return n


def _list_products(rng: random.Random) -> Node:
    return _grpc("product-catalog", "ProductCatalogService", "ListProducts", (0.3, 1.5), **{"app.products.count": 10})


def _quote(rng: random.Random) -> Node:
    return Node("quote", "POST /getquote", "http", (2.0, 9.0), route="/getquote",
                attrs={"http.route": "/getquote", "app.quote.items.count": rng.randint(1, 5)})


def _shipping_quote(rng: random.Random) -> Node:
    return Node("shipping", "POST /get-quote", "http", (0.5, 3.0), [_quote(rng)], route="/get-quote",
                attrs={"http.route": "/get-quote"})


def _frontend(route: str, method: str, own: tuple[float, float], children: list[Node]) -> Node:
    return Node("frontend", f"{method} {route}", "http", own, children, route=route, method=method,
                attrs={"http.route": route})


def build_flow(flow: str, rng: random.Random) -> Node:
    """The call tree of one request of ``flow``, rooted at the frontend-proxy."""
    if flow == "images":
        img = rng.choice(("Banner.png", "EclipsmartTravelRefractorTelescope.jpg", "NationalParkFoundationExplorascope.jpg",
                          "OpticalTubeAssembly.jpg", "RoofBinoculars.jpg", "SolarFilter.jpg"))
        inner = Node("image-provider", f"GET /images/products/{img}", "http", (0.5, 4.0),
                     route="/images/products/", method="GET", attrs={"http.target": f"/images/products/{img}"})
        return Node("frontend-proxy", "ingress", "http", (0.2, 0.8), [inner], route="/images", method="GET")
    if flow == "home":
        kids = [_grpc("currency", "CurrencyService", "GetSupportedCurrencies", (0.1, 0.6)), _list_products(rng),
                _grpc("cart", "CartService", "GetCart", (0.5, 3.0), [_redis("HGET")], **{"app.user.id": _uid(rng)})]
        fe = _frontend("/", "GET", (8.0, 30.0), kids)
    elif flow == "product":
        pid = rng.choice(PRODUCTS)
        fe = _frontend("/api/products/[productId]", "GET", (2.0, 8.0), [_get_product(rng, pid)])
        fe.attrs["app.product.id"] = pid
    elif flow == "recommendations":
        rec = _grpc("recommendation", "RecommendationService", "ListRecommendations", (1.5, 6.0),
                    [_list_products(rng)] + _flagd(rng, "recommendationCacheFailure"))
        fe = _frontend("/api/recommendations", "GET", (2.0, 6.0), [rec])
    elif flow == "ads":
        ad = _grpc("ad", "AdService", "GetAds", (0.5, 3.0), _flagd(rng, "adFailure"),
                   **{"app.ads.contextKeys": str([rng.choice(AD_CATEGORIES)])})
        fe = _frontend("/api/data", "GET", (1.5, 5.0), [ad])
    elif flow == "cart_view":
        fe = _frontend("/api/cart", "GET", (2.0, 6.0), [
            _grpc("cart", "CartService", "GetCart", (0.5, 3.0), [_redis("HGET")], **{"app.user.id": _uid(rng)})])
    elif flow == "cart_add":
        pid = rng.choice(PRODUCTS)
        fe = _frontend("/api/cart", "POST", (3.0, 8.0), [
            _get_product(rng, pid),
            _grpc("cart", "CartService", "AddItem", (0.6, 3.0), [_redis("HGET"), _redis("HSET"), _redis("EXPIRE")],
                  **{"app.product.id": pid, "app.product.quantity": rng.randint(1, 5)})])
    elif flow == "shipping_quote":
        fe = _frontend("/api/shipping", "GET", (2.0, 6.0), [_shipping_quote(rng)])
    elif flow == "currency":
        fe = _frontend("/api/currency", "GET", (1.0, 4.0), [_grpc("currency", "CurrencyService", "GetSupportedCurrencies", (0.1, 0.6))])
    else:  # checkout
        items = rng.sample(PRODUCTS, rng.randint(1, 3))
        uid = _uid(rng)
        kids = [_grpc("cart", "CartService", "GetCart", (0.5, 3.0), [_redis("HGET")], **{"app.user.id": uid})]
        kids += [_get_product(rng, p) for p in items]
        kids += [_grpc("currency", "CurrencyService", "Convert", (0.1, 0.5), **{"app.currency.conversion.from": "USD"})
                 for _ in items]
        kids.append(_shipping_quote(rng))
        kids.append(_grpc("payment", "PaymentService", "Charge", (1.0, 5.0), _flagd(rng, "paymentFailure"),
                          **{"app.payment.card_type": rng.choice(("visa", "mastercard")), "app.payment.charged": True}))
        kids.append(Node("shipping", "POST /ship-order", "http", (0.3, 2.0), route="/ship-order", attrs={"http.route": "/ship-order"}))
        kids.append(_grpc("cart", "CartService", "EmptyCart", (0.5, 2.0), [_redis("HSET"), _redis("EXPIRE")], **{"app.user.id": uid}))
        email = Node("email", "POST /send_order_confirmation", "http", (5.0, 25.0), route="/send_order_confirmation",
                     attrs={"http.route": "/send_order_confirmation", "app.order.id": _uid(rng)})
        email.critical = False
        kids.append(email)
        kafka = Node("kafka", "orders publish", "kafka", (0.5, 2.0), [
            Node("accounting", "orders process", "consume", (1.0, 6.0)),
            Node("fraud-detection", "orders process", "consume", (2.0, 10.0))],
            critical=False, attrs={"messaging.system": "kafka", "messaging.destination.name": "orders"})
        kids.append(kafka)
        po = _grpc("checkout", "CheckoutService", "PlaceOrder", (3.0, 12.0), kids,
                   **{"app.user.id": uid, "app.user.currency": rng.choice(CURRENCIES), "app.cart.items.count": len(items)})
        fe = _frontend("/api/checkout", "POST", (5.0, 15.0), [po])
    path = fe.route.replace("[productId]", str(fe.attrs.get("app.product.id", "")))
    return Node("frontend-proxy", "ingress", "http", (0.2, 1.0), [fe], route=path, method=fe.method)


def _uid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
