"""Feature-flag faults: the flagd ConfigMap changes and the flagged service misbehaves."""

from __future__ import annotations

import json
from collections.abc import Callable

from .. import flagd
from ..app import NAMESPACE
from ..clock import NS
from ..groundtruth import Group
from ..incident import CallFault, LogLine, ResourceCurve, TrafficChange
from ._context import Context, rc_name
from ._blocks import crashloop


def m_flagd(ctx: Context, rc: Group) -> None:
    """A flagd feature flag switched on through the ``flagd-config`` ConfigMap."""
    gt, rng, inc = ctx.gt, ctx.rng, ctx.inc
    name = rc_name(ctx, rc, "flagd-config")
    cm_name = name if ctx.cluster.has("ConfigMap", NAMESPACE, name) else "flagd-config"
    before = ctx.cluster.get("ConfigMap", NAMESPACE, cm_name)["data"]["demo.flagd.json"]
    after = None
    flags: list[str] = []
    for f in gt.faults:
        b, a = flagd.resolve_change(f.changed_from, f.changed_to)
        if a:
            after = a
            flags = flagd.changed_flags(b or before, a)
    if not flags:
        prop_text = " ".join(p.condition + " " + p.effect for p in gt.propagations)
        flags = flagd.flags_in_text(prop_text) or flagd.flags_in_text(" ".join(f.condition for f in gt.faults))
    if not flags:
        flags = ["productCatalogFailure"]
    if after is None:
        after = flagd.enable(before, flags)
    t = ctx.fault_start
    ctx.cluster.update("ConfigMap", NAMESPACE, cm_name, t, lambda b: b["data"].update({"demo.flagd.json": after}))
    onset = ctx.later(30, 90)
    flagd_pod = ctx.pods("flagd")
    if flagd_pod:
        inc.logs.append(LogLine(onset - int(rng.uniform(1, 5) * NS), "flagd", "INFO",
                                "configuration change (write) for flagSource /etc/flagd/demo.flagd.json", flagd_pod[0].name,
                                {"component": "sync", "sync": "filepath"}))
    doc = json.loads(after)
    for flag in flags:
        spelled = flagd.file_flag_name(doc, flag) or flag
        spec = doc.get("flags", {}).get(spelled, {})
        inc.flag_variants.append((onset, flag, str(spec.get("defaultVariant", flagd.failing_variant(spec))), spelled))
        FLAG_MECHANISMS.get(flag, _flag_generic)(ctx, onset)


def _flag_product_catalog(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("product-catalog", t, ctx.end, "error", operation="GetProduct", product="OLJCESPC7Z",
                                         message="Error: Product Catalog Fail Feature Flag Enabled", grpc_code=13))


def _flag_recommendation_cache(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("recommendation", t, ctx.end, "slow", latency_ms=(200, 1500), prob=0.6))
    crashloop(ctx, "recommendation", t, "OOMKilled", (90, 200))


def _flag_ad_high_cpu(ctx: Context, t: int) -> None:
    ctx.inc.resources.append(ResourceCurve("ad", t, ctx.end, 9.0))
    ctx.inc.call_faults.append(CallFault("ad", t, ctx.end, "slow", latency_ms=(300, 2500), prob=0.8))
    ctx.inc.call_faults.append(CallFault("ad", t, ctx.end, "timeout", caller="frontend", prob=0.25, latency_ms=(5000, 5010),
                                         caller_message="4 DEADLINE_EXCEEDED: Deadline exceeded after 5.001s"))


def _flag_ad_failure(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("ad", t, ctx.end, "error", operation="GetAds", prob=ctx.rng.uniform(0.15, 0.3),
                                         grpc_code=14, message="GetAds Failed with status Status{code=UNAVAILABLE, description=null, cause=null}",
                                         exception="io.grpc.StatusRuntimeException"))


def _flag_ad_gc(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("ad", t, ctx.end, "slow", latency_ms=(500, 3000), prob=0.3))
    ctx.inc.resources.append(ResourceCurve("ad", t, ctx.end, 3.0))


def _flag_cart(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("cart", t, ctx.end, "error", operation="EmptyCart", grpc_code=9,
                                         message="Can't access cart storage. System.ApplicationException: Wasn't able to connect to redis",
                                         exception="System.ApplicationException"))


def _flag_payment_failure(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("payment", t, ctx.end, "error", operation="Charge", grpc_code=13,
                                         message="Payment request failed. Invalid token. app.loyalty.level=gold",
                                         exception="Error"))


def _flag_payment_unreachable(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("payment", t, ctx.end, "unavailable", caller="checkout", prob=0.7,
                                         caller_message='rpc error: code = Unavailable desc = name resolver error: produced zero addresses'))
    ctx.inc.mark("checkout", t)


def _flag_kafka_queue(ctx: Context, t: int) -> None:
    ctx.inc.consumer_lag_ms.append((t, ctx.end, 45_000.0))
    ctx.inc.resources.append(ResourceCurve("kafka", t, ctx.end, 3.5))


def _flag_flood(ctx: Context, t: int) -> None:
    ctx.inc.traffic.append(TrafficChange(t, ctx.end, 3.0, "home"))
    ctx.inc.resources += [ResourceCurve("frontend", t, ctx.end, 2.5), ResourceCurve("frontend-proxy", t, ctx.end, 2.5),
                          ResourceCurve("load-generator", t, ctx.end, 2.0)]
    ctx.inc.call_faults += [CallFault("frontend", t, ctx.end, "slow", latency_ms=(400, 2500), prob=0.7),
                            CallFault("frontend-proxy", t, ctx.end, "slow", latency_ms=(100, 800), prob=0.7)]


def _flag_image_slow(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("image-provider", t, ctx.end, "slow", latency_ms=(5000, 10000)))


def _flag_generic(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("product-catalog", t, ctx.end, "error", prob=0.2, message="feature flag failure"))


FLAG_MECHANISMS: dict[str, Callable[[Context, int], None]] = {
    "productCatalogFailure": _flag_product_catalog, "recommendationCacheFailure": _flag_recommendation_cache,
    "adServiceHighCpu": _flag_ad_high_cpu, "adFailure": _flag_ad_failure, "adManualGc": _flag_ad_gc,
    "cartFailure": _flag_cart, "paymentFailure": _flag_payment_failure, "paymentUnreachable": _flag_payment_unreachable,
    "kafkaQueueProblems": _flag_kafka_queue, "loadgeneratorFloodHomepage": _flag_flood, "imageSlowLoad": _flag_image_slow,
}
