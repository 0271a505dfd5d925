"""A plain asyncio reference client for the `reference` benchmark scenario.

The lesson's pattern, nothing more: a semaphore of N, one aiohttp session, streamed SSE read line by
line, one JSON row per prompt. Run against the same mock as llm-batch, alternating with it, it
tells how fast this host is at the moment (issue 2: "a plain Python reference processor reaches
0.91 here").

usage: python3 aiohttp_batch.py BASE_URL PROMPTS.txt OUT.jsonl CONCURRENCY   (key in OPENAI_API_KEY)
"""
import asyncio
import json
import os
import sys

import aiohttp


async def main(base_url: str, prompts_path: str, out_path: str, concurrency: int) -> None:
    with open(prompts_path) as f:
        prompts = [line.rstrip("\n") for line in f if line.strip()]
    semaphore = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}"}
    with open(out_path, "w") as out:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

            async def one(prompt: str) -> None:
                async with semaphore:
                    row = {"prompt": prompt, "response": None, "error": None}
                    try:
                        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}], "stream": True}
                        async with session.post(base_url + "/chat/completions", json=body) as response:
                            response.raise_for_status()
                            text = ""
                            async for line in response.content:
                                line = line.strip()
                                if not line.startswith(b"data: ") or line == b"data: [DONE]":
                                    continue
                                choices = json.loads(line[6:]).get("choices") or []
                                if choices and choices[0].get("delta", {}).get("content"):
                                    text += choices[0]["delta"]["content"]
                        row["response"] = text
                    except Exception as err:  # one failed prompt is a row, as in llm-batch
                        row["error"] = {"type": type(err).__name__, "message": str(err)}
                    out.write(json.dumps(row) + "\n")

            await asyncio.gather(*(one(p) for p in prompts))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
